package io.blockhaus.engine.lock;

import io.blockhaus.engine.call.CallBudget;

/**
 * The per-volume pagecache lock (DESIGN.md, "The pagecache lock"). It guards adding pages to the
 * page cache and nothing else.
 *
 * <ul>
 *   <li>{@link LockMode#ADD} is taken by paths that insert pages; {@link LockMode#BLOCK} by paths
 *       that shoot a range down and keep it down.</li>
 *   <li>Any number of holders share one mode; the modes exclude each other (under
 *       {@link LockPolicy#RANGE} only where the page ranges overlap).</li>
 *   <li>Fair hand-off: a waiting BLOCK stops new ADD holders from entering (where they would
 *       conflict), and the reverse, so neither side can starve the other.</li>
 *   <li>Acquisition is bounded by a timeout; running out is {@code ETIMEDOUT}, never a hang.
 *       Interruption is {@code EINTR} with the interrupt flag kept. A call's budget
 *       ({@link CallBudget}) shortens the wait to the call's deadline, and its cancellation ends
 *       the wait at once with {@code EINTR}; either way nothing is held.</li>
 *   <li>Not reentrant. A request that would wait for a hold of its own thread fails at once with
 *       {@code EDEADLOCK} instead of waiting out its timeout: BLOCK held and ADD asked on an
 *       overlapping range (both policies), and the cases each policy's essay lists.</li>
 *   <li>A caller must never wait for this lock while holding a page lock.</li>
 *   <li>{@link #tryAcquire} and {@link Hold#close()} never wait, so an event loop may call them.</li>
 * </ul>
 *
 * Ranges are page indexes, {@code [firstPage, endPage)}; {@code endPage} may be
 * {@link Long#MAX_VALUE} for "to the end of the volume, whatever its size becomes".
 */
public sealed interface PagecacheLock permits TwoStateLock, RangeLock {

    static PagecacheLock create(LockPolicy policy, LockListener listener) {
        return switch (policy) {
            case TWO_STATE -> new TwoStateLock(listener);
            case RANGE -> new RangeLock(listener);
        };
    }

    LockPolicy policy();

    /** {@link #acquire(LockMode, long, long, long, CallBudget)} for no call in particular ({@link CallBudget#NONE}). */
    default Hold acquire(LockMode mode, long firstPage, long endPage, long timeoutNanos) {
        return acquire(mode, firstPage, endPage, timeoutNanos, CallBudget.NONE);
    }

    /**
     * Waits up to {@code timeoutNanos}, or until {@code call}'s deadline if sooner, for
     * {@code mode} on the range. A cancellation of {@code call} wakes the waiter at once.
     *
     * @throws io.blockhaus.engine.errno.ErrnoException ETIMEDOUT (either bound), EINTR (interrupt
     *         or the call's cancellation), or EDEADLOCK (it would wait for this thread's own
     *         hold); nothing is held then, and the waiter has left every queue
     */
    Hold acquire(LockMode mode, long firstPage, long endPage, long timeoutNanos, CallBudget call);

    /**
     * Takes the lock only if it is free for this caller now (fairness included); null otherwise.
     * Never waits, for anything: {@link RangeLock} also answers null when its bookkeeping is busy
     * that instant (of several concurrent tries, one always gets past that).
     */
    Hold tryAcquire(LockMode mode, long firstPage, long endPage);

    /**
     * Reports to the listener that an acquisition was refused with EDEADLOCK before it waited
     * (the engine decides that; the lock only counts it).
     */
    void reportDeadlock(LockMode mode);

    /** Current number of holders of a mode (a snapshot, for metrics). */
    int holders(LockMode mode);

    /** Current number of threads waiting for a mode (a snapshot, for metrics). */
    int waiters(LockMode mode);

    /** One granted acquisition. Closing it releases it; closing twice is a bug and throws. */
    interface Hold extends AutoCloseable {
        LockMode mode();

        @Override
        void close();
    }
}
