package io.blockhaus.engine.lock;

import java.util.concurrent.locks.LockSupport;

/**
 * One request on a lock's slow path. It is linked into one structure at a time, always under the
 * owning lock's mutex: a {@link NodeList} of waiters ({@link TwoStateLock}), or one of
 * {@link RangeLock}'s {@link RangeTree}s (waiters, then holders); the parked thread itself only
 * ever reads {@link #granted}.
 *
 * <p>Hand-off protocol: the granter, holding the mutex, first accounts the node as a holder, then
 * sets {@code granted}, then unparks. A waiter that gives up (deadline or interrupt) must re-check
 * {@code granted} under the mutex before dequeuing itself: if it was granted in the meantime it
 * holds the lock and must not throw it away.
 */
class WaitNode {
    static final int GRANTED = 0;
    static final int TIMED_OUT = 1;
    static final int INTERRUPTED = 2;

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
     * Parks until granted, the deadline ({@code timeoutNanos} after {@code startNanos}) or an
     * interrupt. The interrupt flag is consumed here; the caller decides how to restore it.
     * Subtraction-based deadline arithmetic so that {@code Long.MAX_VALUE} never overflows.
     */
    final int await(long startNanos, long timeoutNanos) {
        while (!granted) {
            if (Thread.interrupted()) {
                return INTERRUPTED;
            }
            long remaining = timeoutNanos - (System.nanoTime() - startNanos);
            if (remaining <= 0) {
                return TIMED_OUT;
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
