package io.blockhaus.engine.cache;

import io.blockhaus.engine.call.CallBudget;
import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

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
 * signaller bumps the count and wakes it.
 *
 * <p>Signalling takes no lock: waiters park ({@link LockSupport}) and are listed in a lock-free
 * queue that the signaller walks to unpark them. Event loops signal (every unlock of an
 * evictable page does), and a monitor there would let a waiter, preempted while it held it
 * between two checks, stall the loop. An unpark that comes before the park leaves a permit, so
 * the park returns at once and the waiter re-reads the count: still no lost wake-up.
 *
 * <p>A call's cancellation wakes a waiter the same way: its thread is registered with the call
 * ({@link CallBudget#wakeOnCancel}) before it checks, and the cancellation only unparks it.
 */
final class MemoryWaits {
    private final AtomicInteger waiters = new AtomicInteger();
    private final AtomicLong events = new AtomicLong();
    private final ConcurrentLinkedQueue<Thread> parked = new ConcurrentLinkedQueue<>();

    /** Called after memory was freed or a page may have become evictable. Never blocks. */
    void signal() {
        if (waiters.get() > 0) {
            events.incrementAndGet();
            for (Thread t : parked) {
                LockSupport.unpark(t);
            }
        }
    }

    /** Announces a waiter; returns the event count to pass to {@link #await}. Pair with {@link #done}. */
    long prepare() {
        parked.add(Thread.currentThread()); // before the count: a signaller that sees the count finds us
        waiters.incrementAndGet();
        return events.get();
    }

    void done() {
        waiters.decrementAndGet();
        parked.remove(Thread.currentThread());
    }

    /**
     * Sleeps until an event after {@code seen}, until {@code deadlineNanos} (by {@code now}), or
     * until {@code call} ends (cancelled or expired: its {@link CallBudget#wakeOnCancel}
     * registration, made by the caller, unparks us); returns the event count to pass next time.
     */
    long await(long seen, long deadlineNanos, java.util.function.LongSupplier now, CallBudget call) {
        long cur;
        while ((cur = events.get()) == seen) {
            long left = deadlineNanos - now.getAsLong();
            if (left <= 0 || call.remainingNanos() == 0) {
                return cur;
            }
            LockSupport.parkNanos(this, left);
            if (Thread.interrupted()) {
                throw new ErrnoException(Errno.EINTR, "interrupted while waiting for page memory");
            }
        }
        return cur;
    }

    /** Allocators asleep or about to be (for tests). */
    int waiters() {
        return waiters.get();
    }
}
