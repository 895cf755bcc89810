package io.blockhaus.grpc;

import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.lang.System.Logger;
import java.util.function.Supplier;

/**
 * Runs calls and ends them: the answer, or the failure mapped by {@link GrpcErrors} and logged at
 * the level it picked. The body runs under the call's budget ({@link GrpcCallBudget}). Service methods already run on the server's bounded executor, never on
 * a transport thread, so the engine may block here.
 */
final class Calls {
    private static final Logger LOG = System.getLogger("io.blockhaus.grpc");

    private Calls() {
    }

    static <T> void unary(StreamObserver<T> observer, Supplier<T> body) {
        T answer;
        try {
            checkNotCancelled();
            answer = GrpcCallBudget.run(body);
        } catch (RuntimeException | Error e) {
            fail(observer, e);
            return;
        }
        observer.onNext(answer);
        observer.onCompleted();
    }

    /**
     * A call whose client gave up (cancelled, or its deadline passed) while it waited for a worker
     * is not started. Once started, its engine waits follow the call's deadline and cancellation
     * themselves ({@link GrpcCallBudget}).
     */
    static void checkNotCancelled() {
        Context c = Context.current();
        if (c.isCancelled()) {
            Deadline d = c.getDeadline();
            throw (d != null && d.isExpired() ? Status.DEADLINE_EXCEEDED : Status.CANCELLED)
                    .withDescription("the call ended before it started").asRuntimeException();
        }
    }

    static void fail(StreamObserver<?> observer, Throwable t) {
        GrpcErrors.Mapped m = GrpcErrors.map(t);
        if (LOG.isLoggable(m.level())) {
            LOG.log(m.level(), "call failed: " + m.status().getStatus(), m.level() == Logger.Level.ERROR ? t : null);
        }
        observer.onError(m.status());
    }
}
