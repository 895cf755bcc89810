package io.blockhaus.engine.cache;

import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Where an allocator waits when every page is pinned, and how it is woken: no polling.
 *
 * <p>Memory becomes available in two ways: a page's memory goes back to the budget (evicted,
 * shot down, an unused reservation returned), or a page that could not be evicted becomes
 * evictable (unmapped, written back, unlocked). Every flag reclaim looks at changes only under
 * the page lock, so "a page was unlocked" covers the second way. Both call {@link #signal()},
 * which costs one volatile read while nobody waits (the usual case).
 *
 * <p>No lost wake-up: a waiter first announces itself ({@link #prepare}), then retries
 * reservation and reclaim, then sleeps only while the event count is still the one it read on
 * announcing. A signaller changes memory state first and reads the waiter count second; the
 * waiter writes the count first and reads memory state second. With volatile accesses one of
 * them must see the other's write (Dekker), so either the retry finds the memory or the
 * signaller bumps the count and notifies.
 */
final class MemoryWaits {
    private final Object monitor = new Object();
    private final AtomicInteger waiters = new AtomicInteger();
    private final AtomicLong events = new AtomicLong();

    /** Called after memory was freed or a page may have become evictable. */
    void signal() {
        if (waiters.get() > 0) {
            events.incrementAndGet();
            synchronized (monitor) {
                monitor.notifyAll();
            }
        }
    }

    /** Announces a waiter; returns the event count to pass to {@link #await}. Pair with {@link #done}. */
    long prepare() {
        waiters.incrementAndGet();
        return events.get();
    }

    void done() {
        waiters.decrementAndGet();
    }

    /**
     * Sleeps until an event after {@code seen} or until {@code deadlineNanos} (by {@code now});
     * returns the event count to pass next time.
     */
    long await(long seen, long deadlineNanos, java.util.function.LongSupplier now) {
        synchronized (monitor) {
            long cur;
            while ((cur = events.get()) == seen) {
                long left = deadlineNanos - now.getAsLong();
                if (left <= 0) {
                    return cur;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(monitor, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new ErrnoException(Errno.EINTR, "interrupted while waiting for page memory");
                }
            }
            return cur;
        }
    }

    /** Allocators asleep or about to be (for tests). */
    int waiters() {
        return waiters.get();
    }
}
