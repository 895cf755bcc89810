package io.blockhaus.engine.call;

import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Where a call bound to a {@link CallBudget} waits for a lock built on the JDK's AQS (a page's
 * own lock, with {@code ReentrantLock}'s rules; the volume's resize
 * {@code ReentrantReadWriteLock}) so that its cancellation wakes it at once. Those locks park their own waiters in their queue, and an
 * unpark there is a spurious wake-up they sleep through: only an interrupt ends such a wait
 * early, and the engine never interrupts (a {@code FileChannel} closes when its thread is
 * interrupted, and an interrupt aimed at a wait can land after it, in the store I/O). So a
 * budgeted waiter stays out of the lock's queue: it tries the lock, and sleeps here until a
 * holder releases it ({@link #signal}, called after every release), its own bound or the call's
 * deadline passes, or the call's cancellation unparks it ({@link CallBudget#wakeOnCancel}).
 * Callers with {@link CallBudget#NONE} (NBD, background work) keep the lock's own timed wait.
 *
 * <p>No lost wake-up, the Dekker argument of {@code MemoryWaits}: a waiter lists itself and
 * counts itself first, then reads the event count, then tries the lock; a releaser releases
 * first (a volatile write in the lock), then reads the waiter count. One of them sees the
 * other's write: either the try finds the lock free, or the releaser bumps the event count
 * (the waiter then does not park) and unparks the listed waiter (the park then returns). The
 * same holds for a cancellation: registered before the check, unparked after the state is set.
 *
 * <p>Signalling takes no lock and costs one volatile read while nobody waits, the usual case:
 * the page lock's release is the cache's fast path, and event loops release page locks. A
 * release wakes every listed waiter of this set; they are few (gRPC calls in a contended wait)
 * and each just tries again. A waiter here does not keep a place in the lock's queue: a
 * budgeted exclusive waiter (a truncate) can be overtaken by shared takers arriving meanwhile,
 * up to its own bound (see docs/design.md, deadlines).
 */
public final class ReleaseWaits {
    private final AtomicInteger waiters = new AtomicInteger();
    private final AtomicLong events = new AtomicLong();
    private final ConcurrentLinkedQueue<Thread> parked = new ConcurrentLinkedQueue<>();

    /** Called after a release. Never blocks. */
    public void signal() {
        if (waiters.get() > 0) {
            events.incrementAndGet();
            for (Thread t : parked) {
                LockSupport.unpark(t);
            }
        }
    }

    /**
     * Tries {@code tryTake} until it succeeds (true), its own bound {@code ownNanos} passes
     * (false: the caller reports its own timeout), or {@code call} ends: cancelled,
     * {@code EINTR}; its deadline, {@code ETIMEDOUT}. Nothing is taken when it does not return
     * true. An interrupt is {@code EINTR} as well (the engine sends none).
     */
    public boolean await(BooleanSupplier tryTake, long ownNanos, CallBudget call, String waitingFor) {
        long start = System.nanoTime();
        long end = start + call.waitNanos(ownNanos);
        Thread me = Thread.currentThread();
        parked.add(me); // before the count: a signaller that sees the count finds us
        waiters.incrementAndGet();
        try (CallBudget.Registration wake = call.wakeOnCancel()) {
            while (true) {
                long seen = events.get();
                if (tryTake.getAsBoolean()) {
                    return true;
                }
                if (call.isCancelled()) {
                    throw call.cancelled(waitingFor);
                }
                long left = end - System.nanoTime();
                if (left <= 0 || call.remainingNanos() == 0) {
                    if (call.endedBefore(start, ownNanos)) {
                        throw call.ended(waitingFor); // cancelled since the check above: EINTR still
                    }
                    return false;
                }
                if (events.get() == seen) {
                    LockSupport.parkNanos(this, left);
                }
                if (Thread.interrupted()) {
                    me.interrupt();
                    throw new ErrnoException(Errno.EINTR, "interrupted while waiting for " + waitingFor);
                }
            }
        } finally {
            waiters.decrementAndGet();
            parked.remove(me);
        }
    }

    /** Threads waiting here now (for tests: the list is clean after every wait). */
    public int waiters() {
        return waiters.get();
    }
}
