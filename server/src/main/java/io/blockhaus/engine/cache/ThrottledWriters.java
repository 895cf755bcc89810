package io.blockhaus.engine.cache;

import io.blockhaus.engine.call.CallBudget;
import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Where writers throttled by a failing volume wait (see {@link CacheSystem#balanceDirty}):
 * parked, woken when writeback cleans pages or ends a pass, with a timeout, because a volume's
 * retry falls due on the clock without anyone calling. Parked rather than in a monitor's wait
 * so that the writer's call can wake it too: its cancellation unparks the threads registered
 * with it ({@link CallBudget#wakeOnCancel}), and nothing unparks a monitor's waiter. Waking
 * costs writeback one volatile read while nobody waits, the usual case. A wake that comes
 * after the writer listed itself leaves a permit, so its park returns at once; one that comes
 * between {@code balanceDirty}'s check and the listing is missed, as it was with a monitor, and
 * the timed park (the retry, at most a second) bounds what that costs. A cancellation is never
 * missed: the writer registers with its call before it reads the call's state.
 */
final class ThrottledWriters {
    /** The longest a writer sleeps before it reads the clock again (a test's clock may jump). */
    private static final long MAX_WAIT_NANOS = 1_000_000_000L;
    /** The shortest: a retry that is due but that another thread is making is not spun on. */
    private static final long MIN_WAIT_NANOS = 1_000_000L;

    private final AtomicInteger waiting = new AtomicInteger();
    private final ConcurrentLinkedQueue<Thread> parked = new ConcurrentLinkedQueue<>();

    /**
     * Waits until woken, until about {@code nanos} have passed (at least 1 ms, at most a second),
     * or until {@code call} ends; the caller looks at the call and the clock again.
     */
    void await(long nanos, CallBudget call) {
        Thread me = Thread.currentThread();
        parked.add(me); // before the count: a waker that sees the count finds us
        waiting.incrementAndGet();
        try (CallBudget.Registration wake = call.wakeOnCancel()) {
            long n = Math.min(Math.max(nanos, MIN_WAIT_NANOS), Math.min(MAX_WAIT_NANOS, call.remainingNanos()));
            if (n > 0) {
                LockSupport.parkNanos(this, n);
            }
            if (Thread.interrupted()) {
                me.interrupt();
                throw new ErrnoException(Errno.EINTR, "interrupted while throttled for writeback");
            }
        } finally {
            waiting.decrementAndGet();
            parked.remove(me);
        }
    }

    /** Pages were cleaned, or a writeback pass ended: waiters look again. */
    void wake() {
        if (waiting.get() > 0) {
            for (Thread t : parked) {
                LockSupport.unpark(t);
            }
        }
    }

    /** Writers throttled now (for tests: the list is clean after every wait). */
    int waiters() {
        return waiting.get();
    }
}
