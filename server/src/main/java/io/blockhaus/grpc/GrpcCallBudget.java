package io.blockhaus.grpc;

import io.blockhaus.engine.call.CallBudget;
import io.grpc.Context;
import io.grpc.Deadline;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * A gRPC call's deadline and cancellation, as the engine's {@link CallBudget}: every engine
 * operation a call makes runs under one ({@link #run}), so its lock, memory and recall waits end
 * at the call's deadline ({@code ETIMEDOUT}: DEADLINE_EXCEEDED) or as soon as the client
 * cancels ({@code EINTR}: CANCELLED), having changed nothing (see {@link CallBudget}).
 *
 * <p>gRPC cancels a call's {@link Context} both when the client cancels and when the deadline
 * passes (its timer, with a {@link TimeoutException} as the cause): the listener tells the two
 * apart, so a deadline is reported as one. It runs on whichever thread cancels (a transport
 * thread): {@link CallBudget#cancel} only unparks, so it never blocks it. gRPC never interrupts
 * the thread running the call, which is why the engine needs this at all.
 */
final class GrpcCallBudget {
    private GrpcCallBudget() {
    }

    /** Runs {@code op} (engine calls) under the current gRPC call's budget. */
    static <T> T run(Supplier<T> op) {
        Context ctx = Context.current();
        Deadline d = ctx.getDeadline();
        CallBudget budget = d == null ? CallBudget.unbounded() : CallBudget.within(d.timeRemaining(TimeUnit.NANOSECONDS));
        Context.CancellationListener onCancel = c -> {
            Deadline cd = c.getDeadline();
            if (c.cancellationCause() instanceof TimeoutException || cd != null && cd.isExpired()) {
                budget.expire();
            } else {
                budget.cancel();
            }
        };
        ctx.addListener(onCancel, Runnable::run); // on an already cancelled context: runs at once
        try {
            return budget.call(op);
        } finally {
            ctx.removeListener(onCancel);
        }
    }

    /** {@link #run(Supplier)} for an operation without a result. */
    static void run(Runnable op) {
        run(() -> {
            op.run();
            return null;
        });
    }
}
