package io.blockhaus.grpc;

import io.blockhaus.proto.v1.Invalidation;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One Watch call: sends a handle's queued {@link Invalidations} while the client can take them.
 * The engine signals with a page lock held, so {@link #signal} only schedules a drain on the
 * notifier executor; the drain, and gRPC's on-ready callback, send under this object's monitor
 * (a call's observer is not thread-safe). Nothing is sent while the transport says it is not
 * ready: the queue, which is bounded, holds the rest.
 */
final class WatchStream {
    private final ServerCallStreamObserver<Invalidation> observer;
    private final Invalidations queue;
    private final Executor notifier;
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private boolean closed; // guarded by this

    WatchStream(ServerCallStreamObserver<Invalidation> observer, Invalidations queue, Executor notifier) {
        this.observer = observer;
        this.queue = queue;
        this.notifier = notifier;
        observer.setOnReadyHandler(this::drain);
        observer.setOnCancelHandler(this::cancelled);
    }

    /** Called by the engine's listener (page lock held): schedules a drain, never sends itself. */
    void signal() {
        if (scheduled.compareAndSet(false, true)) {
            notifier.execute(() -> {
                scheduled.set(false);
                drain();
            });
        }
    }

    synchronized void drain() {
        while (!closed && observer.isReady()) {
            Invalidation next = queue.poll();
            if (next == null) {
                return;
            }
            observer.onNext(next);
        }
    }

    /** The handle closed: sends what is queued (as far as the client takes it) and ends the stream. */
    synchronized void complete() {
        if (closed) {
            return;
        }
        drain();
        closed = true;
        observer.onCompleted();
    }

    private synchronized void cancelled() {
        closed = true;
    }

    synchronized boolean isClosed() {
        return closed;
    }
}
