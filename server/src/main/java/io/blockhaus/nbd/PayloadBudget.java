package io.blockhaus.nbd;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The server-wide bound on READ and WRITE payload bytes in flight, over every connection.
 *
 * <p>Why: each connection is bounded on its own (64 MiB by default), but 256 connections would
 * then be allowed 16 GiB, past what the JVM's direct memory holds: one client opening many
 * connections could make every other client's requests fail. A request takes its length when it
 * starts and gives it back when its reply is queued (the per-connection reply queue bound covers
 * the rest).
 *
 * <p>A request always fits when nothing else is in flight, so one as large as the whole budget
 * still runs; otherwise it waits while the sum would pass the limit. A connection that finds no
 * room registers to be resumed, and every give-back resumes all registered connections (they
 * retry, and those that still find no room register again); a connection registers at most once
 * at a time, so the queue is bounded by the number of connections.
 */
final class PayloadBudget {
    private final long limit;
    private final AtomicLong used = new AtomicLong();
    private final ConcurrentLinkedQueue<Runnable> waiting = new ConcurrentLinkedQueue<>();

    PayloadBudget(long limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("payload budget must be positive: " + limit);
        }
        this.limit = limit;
    }

    long limit() {
        return limit;
    }

    long used() {
        return used.get();
    }

    /** Takes {@code bytes} if they fit (or nothing is in flight); false, taking nothing, otherwise. */
    boolean tryTake(long bytes) {
        while (true) {
            long u = used.get();
            if (u > 0 && u + bytes > limit) {
                return false;
            }
            if (used.compareAndSet(u, u + bytes)) {
                return true;
            }
        }
    }

    /** Gives {@code bytes} back and resumes every registered waiter. */
    void give(long bytes) {
        used.addAndGet(-bytes);
        wakeAll();
    }

    /**
     * Registers {@code resume} to run at the next give-back. If room appeared meanwhile (a
     * give-back between the caller's failed {@link #tryTake} and this call), it runs now, so no
     * wake-up is lost.
     */
    void await(long bytes, Runnable resume) {
        waiting.add(resume);
        long u = used.get();
        if (u == 0 || u + bytes <= limit) {
            wakeAll();
        }
    }

    private void wakeAll() {
        for (Runnable r; (r = waiting.poll()) != null; ) {
            r.run();
        }
    }
}
