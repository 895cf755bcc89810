package io.blockhaus.engine.lock;

import java.util.concurrent.locks.ReentrantLock;

/**
 * The {@link LockPolicy#RANGE} pagecache lock: each hold covers pages {@code [firstPage, endPage)}
 * ({@code endPage == Long.MAX_VALUE}: to the end, whatever the volume's size becomes).
 *
 * <h2>Modes and conflicts</h2>
 * ADD (paths that insert pages) and BLOCK (paths that shoot pages down and keep them down) conflict
 * only where their ranges overlap; holders of the same mode never conflict, overlapping or not.
 *
 * <h2>Fairness</h2>
 * A request waits if it conflicts with a holder, <em>or</em> with an earlier waiter whose range
 * overlaps and whose mode differs. So a waiting BLOCK holds back later overlapping ADDs (and the
 * reverse), and a stream of one mode cannot starve the other on a shared range, while requests on
 * other ranges pass freely. A release re-examines the waiters in FIFO order and grants every one
 * that may now proceed; one granted earlier in that pass counts as a holder for the later ones.
 * {@link #tryAcquire} applies the same test.
 *
 * <h2>Structure and cost</h2>
 * Everything is guarded by one {@link ReentrantLock}: holders in two per-mode intrusive lists and
 * one FIFO of waiters. With H holders of the other mode and W waiters:
 * <ul>
 *   <li>acquire: O(H + W) scan under the mutex (uncontended: one allocation, one lock/unlock,
 *       two empty scans);</li>
 *   <li>release: O(1) unlink, plus, only if there are waiters, a wake pass of O(W * (H + W));</li>
 *   <li>giving up (timeout, interrupt): O(1) unlink plus the same wake pass.</li>
 * </ul>
 * H and W are bounded by the I/Os in flight on one volume (tens, rarely hundreds), where linear
 * scans of a few cache lines beat an interval tree; if that stops being true, the holder lists are
 * the thing to replace (per-mode interval trees; the waiter test needs only overlap-with-earlier).
 *
 * <p>The listener is called outside the mutex. The granted node itself is the {@link Hold}.
 */
public final class RangeLock implements PagecacheLock {
    /** Guards every list below and every node's links. Never held while calling the listener. */
    private final ReentrantLock mutex = new ReentrantLock();
    /** Current ADD holders, any order. // guarded by mutex */
    private final NodeList<RangeHold> addHolders = new NodeList<>();
    /** Current BLOCK holders, any order. // guarded by mutex */
    private final NodeList<RangeHold> blockHolders = new NodeList<>();
    /** Waiters of both modes, oldest first; fairness is judged against this order. // guarded by mutex */
    private final NodeList<RangeHold> waiters = new NodeList<>();
    /** Waiters per mode, for {@link #waiters(LockMode)}. // guarded by mutex */
    private int addWaiting;
    private int blockWaiting;

    private final LockListener listener;
    /** Cached {@link LockListener#timed()}: false means the uncontended path never reads the clock. */
    private final boolean timed;

    RangeLock(LockListener listener) {
        this.listener = GuardedListener.guard(listener);
        this.timed = this.listener.timed();
    }

    @Override
    public LockPolicy policy() {
        return LockPolicy.RANGE;
    }

    @Override
    public Hold acquire(LockMode mode, long firstPage, long endPage, long timeoutNanos) {
        LockErrors.checkRange(mode, firstPage, endPage);
        RangeHold node = new RangeHold(this, mode, firstPage, endPage);
        long start = 0L;
        LockOutcome refused = null;
        boolean queued = false;
        mutex.lock();
        try {
            if (mayProceed(node, null)) {
                holderList(mode).addLast(node);
            } else {
                start = System.nanoTime();
                if (timeoutNanos <= 0) {
                    refused = LockOutcome.TIMEOUT;
                } else if (Thread.currentThread().isInterrupted()) {
                    refused = LockOutcome.INTERRUPTED;
                } else {
                    node.thread = Thread.currentThread();
                    enqueue(node);
                    queued = true;
                }
            }
        } finally {
            mutex.unlock();
        }
        if (refused != null) {
            throw failed(mode, refused, start, timeoutNanos);
        }
        if (!queued) {
            return acquired(node, 0L, false);
        }
        int result = node.await(start, timeoutNanos);
        if (result != WaitNode.GRANTED) {
            mutex.lock();
            try {
                if (!node.granted) {
                    dequeue(node);
                    wakeWaiters(); // it may have been all that held later waiters back
                }
            } finally {
                mutex.unlock();
            }
            if (result == WaitNode.INTERRUPTED) {
                Thread.currentThread().interrupt(); // restored whether or not we got the lock
            }
            if (!node.granted) {
                throw failed(mode, result == WaitNode.INTERRUPTED ? LockOutcome.INTERRUPTED : LockOutcome.TIMEOUT,
                        start, timeoutNanos);
            }
            // Granted while giving up: we hold it, so take it rather than leak it.
        }
        return acquired(node, start, true);
    }

    @Override
    public Hold tryAcquire(LockMode mode, long firstPage, long endPage) {
        LockErrors.checkRange(mode, firstPage, endPage);
        RangeHold node = new RangeHold(this, mode, firstPage, endPage);
        mutex.lock();
        try {
            if (!mayProceed(node, null)) {
                return null;
            }
            holderList(mode).addLast(node);
        } finally {
            mutex.unlock();
        }
        return acquired(node, 0L, false);
    }

    @Override
    public void reportDeadlock(LockMode mode) {
        listener.failed(mode, LockPolicy.RANGE, 0L, LockOutcome.EDEADLOCK);
    }

    @Override
    public int holders(LockMode mode) {
        mutex.lock();
        try {
            return holderList(mode).size();
        } finally {
            mutex.unlock();
        }
    }

    @Override
    public int waiters(LockMode mode) {
        mutex.lock();
        try {
            return mode == LockMode.ADD ? addWaiting : blockWaiting;
        } finally {
            mutex.unlock();
        }
    }

    /** {@link RangeHold#close()}: the closed check shares the mutex hold with the release. */
    void release(RangeHold node) {
        mutex.lock();
        try {
            if (node.closed) {
                throw new IllegalStateException("pagecache lock hold (" + node.mode + ") closed twice");
            }
            node.closed = true;
            holderList(node.mode).remove(node);
            if (!waiters.isEmpty()) {
                wakeWaiters();
            }
        } finally {
            mutex.unlock();
        }
        listener.released(node.mode, LockPolicy.RANGE, timed ? System.nanoTime() - node.since : 0L);
    }

    // ---- under the mutex --------------------------------------------------------------------

    /**
     * Whether {@code node} may hold now: no overlapping holder of the other mode, and no waiter
     * ahead of it ({@code node} itself when it is queued, else the whole queue) that overlaps and
     * has the other mode.
     */
    private boolean mayProceed(RangeHold node, RangeHold queuedAs) {
        NodeList<RangeHold> others = holderList(node.mode.other());
        for (RangeHold h = others.first(); h != null; h = others.next(h)) {
            if (h.overlaps(node)) {
                return false;
            }
        }
        for (RangeHold w = waiters.first(); w != null && w != queuedAs; w = waiters.next(w)) {
            if (w.mode != node.mode && w.overlaps(node)) {
                return false;
            }
        }
        return true;
    }

    /** One FIFO pass: grant each waiter that may proceed; a grant counts as a holder for the rest. */
    private void wakeWaiters() {
        for (RangeHold w = waiters.first(), next; w != null; w = next) {
            next = waiters.next(w);
            if (mayProceed(w, w)) {
                dequeue(w);
                holderList(w.mode).addLast(w);
                w.grant();
            }
        }
    }

    private void enqueue(RangeHold node) {
        waiters.addLast(node);
        if (node.mode == LockMode.ADD) {
            addWaiting++;
        } else {
            blockWaiting++;
        }
    }

    private void dequeue(RangeHold node) {
        waiters.remove(node);
        if (node.mode == LockMode.ADD) {
            addWaiting--;
        } else {
            blockWaiting--;
        }
    }

    private NodeList<RangeHold> holderList(LockMode mode) {
        return mode == LockMode.ADD ? addHolders : blockHolders;
    }

    // ---- outside the mutex ------------------------------------------------------------------

    private Hold acquired(RangeHold node, long start, boolean contended) {
        if (timed || contended) {
            long now = System.nanoTime();
            node.since = now;
            listener.acquired(node.mode, LockPolicy.RANGE, timed && contended ? now - start : 0L, contended);
        } else {
            listener.acquired(node.mode, LockPolicy.RANGE, 0L, false);
        }
        return node;
    }

    private RuntimeException failed(LockMode mode, LockOutcome outcome, long start, long timeoutNanos) {
        listener.failed(mode, LockPolicy.RANGE, timed ? System.nanoTime() - start : 0L, outcome);
        return outcome == LockOutcome.INTERRUPTED
                ? LockErrors.interrupted(mode, LockPolicy.RANGE)
                : LockErrors.timedOut(mode, LockPolicy.RANGE, timeoutNanos);
    }

    @Override
    public String toString() {
        mutex.lock();
        try {
            return "RangeLock[ADD held " + addHolders.size() + ", BLOCK held " + blockHolders.size()
                    + ", ADD waiting " + addWaiting + ", BLOCK waiting " + blockWaiting + "]";
        } finally {
            mutex.unlock();
        }
    }

    /** One request: a waiter until granted, then a holder and the caller's {@link Hold}. */
    static final class RangeHold extends WaitNode implements Hold {
        private final RangeLock lock;
        final LockMode mode;
        final long firstPage;
        final long endPage;
        /** Grant time when timed (else 0); written before the Hold is returned, read by close. */
        long since;
        /** Closing twice is a caller bug; checked under the mutex so a racing double close releases once. */
        boolean closed; // guarded by lock.mutex

        RangeHold(RangeLock lock, LockMode mode, long firstPage, long endPage) {
            this.lock = lock;
            this.mode = mode;
            this.firstPage = firstPage;
            this.endPage = endPage;
        }

        boolean overlaps(RangeHold o) {
            return firstPage < o.endPage && o.firstPage < endPage;
        }

        @Override
        public LockMode mode() {
            return mode;
        }

        @Override
        public void close() {
            lock.release(this);
        }

        @Override
        public String toString() {
            return "Hold[" + mode + " [" + firstPage + ", " + (endPage == Long.MAX_VALUE ? "end" : endPage) + ")]";
        }
    }
}
