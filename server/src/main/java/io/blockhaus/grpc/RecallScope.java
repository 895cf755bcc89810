package io.blockhaus.grpc;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Recall before completion for operations that come in over gRPC: a direct write, fallocate or
 * truncate runs inside a scope; every page it shoots down out of a gRPC mapping is reported (by
 * the mapping's listener, on this same thread, with the page lock held: it only appends here),
 * and before the operation answers, the scope waits until each handle concerned has acknowledged
 * those invalidations over its Watch stream, or the recall timeout has passed, and then revokes
 * the mappings that did not (their next use fails with ESTALE, and the client maps again). So
 * once the call returns, no mapping anywhere still shows bytes older than it, and a dead client
 * delays it by at most the timeout.
 *
 * <p>Operations from NBD run on the NBD server's threads, outside any scope: they invalidate, but
 * do not wait (the engine would need a hook both front ends call; not built).
 */
final class RecallScope {
    private static final ThreadLocal<RecallScope> CURRENT = new ThreadLocal<>();

    /** What one handle must acknowledge: up to {@code sequence}, else these mappings are revoked. */
    private static final class Pending {
        final OpenHandle handle;
        long sequence;
        final List<String> mappings = new ArrayList<>();

        Pending(OpenHandle handle) {
            this.handle = handle;
        }
    }

    private final List<Pending> pending = new ArrayList<>();

    private RecallScope() {
    }

    /** Called by a gRPC mapping's listener: records the invalidation if an operation in a scope caused it. */
    static void register(OpenHandle handle, long sequence, String mapping) {
        RecallScope s = CURRENT.get();
        if (s == null) {
            return;
        }
        Pending p = null;
        for (Pending q : s.pending) {
            if (q.handle == handle) {
                p = q;
                break;
            }
        }
        if (p == null) {
            p = new Pending(handle);
            s.pending.add(p);
        }
        p.sequence = Math.max(p.sequence, sequence);
        if (!p.mappings.contains(mapping)) {
            p.mappings.add(mapping);
        }
    }

    /** Runs {@code op}, then recalls what it invalidated (whether it succeeded or failed half-way). */
    static <T> T run(long timeoutNanos, Supplier<T> op) {
        RecallScope outer = CURRENT.get();
        RecallScope scope = new RecallScope();
        CURRENT.set(scope);
        try {
            return op.get();
        } finally {
            CURRENT.set(outer);
            scope.recall(timeoutNanos);
        }
    }

    static void run(long timeoutNanos, Runnable op) {
        run(timeoutNanos, () -> {
            op.run();
            return null;
        });
    }

    private void recall(long timeoutNanos) {
        long deadline = System.nanoTime() + timeoutNanos;
        for (Pending p : pending) {
            if (!p.handle.awaitAck(p.sequence, deadline)) {
                for (String m : p.mappings) {
                    p.handle.revoke(m);
                }
            }
        }
    }
}
