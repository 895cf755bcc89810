package io.blockhaus.engine.lock;

import io.blockhaus.engine.call.CallBudget;
import java.util.concurrent.locks.LockSupport;

/**
 * One request on a lock's slow path. It is linked into one structure at a time, always under the
 * owning lock's mutex: a {@link NodeList} of waiters ({@link TwoStateLock}), or one of
 * {@link RangeLock}'s {@link RangeTree}s (waiters, then holders); the parked thread itself only
 * ever reads {@link #granted}.
 *
 * <p>Hand-off protocol: the granter, holding the mutex, first accounts the node as a holder, then
 * sets {@code granted}, then unparks. A waiter that gives up (deadline, interrupt or its call's
 * cancellation) must re-check
 * {@code granted} under the mutex before dequeuing itself: if it was granted in the meantime it
 * holds the lock and must not throw it away.
 */
class WaitNode {
    static final int GRANTED = 0;
    static final int TIMED_OUT = 1;
    static final int INTERRUPTED = 2;
    /** The caller's call was cancelled ({@link CallBudget#cancel}). */
    static final int CANCELLED = 3;

    /** Set before the node is queued as a waiter; unpark target. */
    Thread thread;
    /** Written once, under the mutex, by whoever grants; read by the parked thread without it. */
    volatile boolean granted;
    /**
     * This grant switched the lock's mode (see {@link LockListener#modeSwitched}): set by the
     * granter before {@link #grant()} (on the first node of a batch only), read by the granted
     * thread after it sees {@code granted}.
     */
    boolean switched;
    /** List links. // guarded by the owning lock's mutex */
    WaitNode prev;
    WaitNode next;

    /**
     * Parks until granted, the deadline (the lock's {@code timeoutNanos} after
     * {@code startNanos}, or the call's if sooner, or the call's expiry), an interrupt, or the call's cancellation. The
     * interrupt flag is consumed here; the caller decides how to restore it. A cancellation
     * wakes the thread ({@link CallBudget#wakeOnCancel}, registered before the first check, so
     * one that comes at any point is either seen or unparks the park). Subtraction-based
     * deadline arithmetic so that {@code Long.MAX_VALUE} never overflows.
     */
    final int await(long startNanos, long timeoutNanos, CallBudget call) {
        try (CallBudget.Registration wake = call.wakeOnCancel()) {
            return awaitRegistered(startNanos, timeoutNanos, call);
        }
    }

    private int awaitRegistered(long startNanos, long timeoutNanos, CallBudget call) {
        while (!granted) {
            if (Thread.interrupted()) {
                return INTERRUPTED;
            }
            if (call.isCancelled()) {
                return CANCELLED;
            }
            long remaining = Math.min(timeoutNanos - (System.nanoTime() - startNanos), call.remainingNanos());
            if (remaining <= 0) {
                // A cancellation that landed since the check above also makes remainingNanos 0:
                // it is still a cancellation (CallBudget.ended), not the call's deadline.
                return call.isCancelled() ? CANCELLED : TIMED_OUT;
            }
            LockSupport.parkNanos(this, remaining);
        }
        return GRANTED;
    }

    /** Marks the node granted and wakes its thread. Caller holds the mutex and has accounted it. */
    final void grant() {
        granted = true;
        LockSupport.unpark(thread);
    }
}
