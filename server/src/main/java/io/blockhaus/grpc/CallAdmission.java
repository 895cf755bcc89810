package io.blockhaus.grpc;

import io.blockhaus.limits.RefusalReason;
import io.blockhaus.limits.Refusals;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerStreamTracer;
import io.grpc.Status;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Bounds the calls on the worker pool, server-wide, and refuses the rest with RESOURCE_EXHAUSTED
 * at once, on the transport thread, without ever waiting there.
 *
 * <p>Why admission per call and not a bounded queue: gRPC hands a call's work to its executor one
 * runnable at a time (a serialising executor per call), on the transport's event loop. A bounded
 * queue that is full would throw there, for any runnable, including the next message of a call
 * already half done, and gRPC has no good answer to that. Counting calls instead bounds the queue
 * just as well (each admitted call has at most one runnable queued) and decides once, at the
 * call's start, where a refusal is clean: the call has done nothing yet.
 *
 * <p>How: a stream tracer (created on the transport thread when the stream opens, and told
 * exactly once when it closes, however it ends) takes a slot, or marks the headers refused; the
 * executor supplier sends a refused call to the direct executor, and {@link #interceptor} (the
 * outermost) closes it there. A client cannot forge the mark: the tracer discards any copy the
 * client sent before looking. Calls that never use the pool (Watch, AckInvalidations) take no slot.
 *
 * <p>The same tracer counts calls gRPC itself ended for a message over the size limit; gRPC
 * reports those only as a status, so they are recognised by its description (pinned by a test).
 */
final class CallAdmission {
    private static final Metadata.Key<String> REFUSED =
            Metadata.Key.of("blockhaus-internal-refused", Metadata.ASCII_STRING_MARSHALLER);
    private static final String TOO_LARGE = "gRPC message exceeds maximum size";

    private final Semaphore slots;
    private final int capacity;
    private final Set<String> offPool;
    private final Refusals refusals;

    /** {@code slots}: calls the pool may hold (threads plus queue); {@code offPool}: full method names that never run on it. */
    CallAdmission(int slots, Set<String> offPool, Refusals refusals) {
        this.slots = new Semaphore(slots);
        this.capacity = slots;
        this.offPool = offPool;
        this.refusals = refusals;
    }

    /** Whether the call of these headers was refused a slot (the executor supplier's question). */
    static boolean refused(Metadata headers) {
        return headers.containsKey(REFUSED);
    }

    /** Calls holding a slot now. */
    int admitted() {
        return capacity - slots.availablePermits();
    }

    ServerStreamTracer.Factory tracerFactory() {
        return new ServerStreamTracer.Factory() {
            @Override
            public ServerStreamTracer newServerStreamTracer(String fullMethodName, Metadata headers) {
                headers.discardAll(REFUSED);
                boolean holds = !offPool.contains(fullMethodName);
                if (holds && !slots.tryAcquire()) {
                    headers.put(REFUSED, "queue-full");
                    refusals.refused(RefusalReason.QUEUE_FULL, fullMethodName + ": " + capacity
                            + " calls already running or queued");
                    holds = false;
                }
                return new SlotTracer(holds);
            }
        };
    }

    ServerInterceptor interceptor() {
        return new ServerInterceptor() {
            @Override
            public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
                    ServerCallHandler<Q, A> next) {
                if (refused(headers)) {
                    call.close(Status.RESOURCE_EXHAUSTED.withDescription("the server is busy: " + capacity
                            + " calls are running or queued; retry later"), new Metadata());
                    return new ServerCall.Listener<>() {
                    };
                }
                return next.startCall(call, headers);
            }
        };
    }

    /** Gives its slot back when the stream closes (exactly once, whatever ended it). */
    private final class SlotTracer extends ServerStreamTracer {
        private final AtomicBoolean holds;

        SlotTracer(boolean holds) {
            this.holds = new AtomicBoolean(holds);
        }

        @Override
        public void streamClosed(Status status) {
            if (holds.compareAndSet(true, false)) {
                slots.release();
            }
            if (status.getCode() == Status.Code.RESOURCE_EXHAUSTED && status.getDescription() != null
                    && status.getDescription().startsWith(TOO_LARGE)) {
                refusals.refused(RefusalReason.REQUEST_TOO_LARGE, status.getDescription());
            }
        }
    }
}
