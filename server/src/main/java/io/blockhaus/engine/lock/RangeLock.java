package io.blockhaus.engine.lock;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.List;
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
 * A request waits if it overlaps a holder of the other mode, <em>or</em> an earlier waiter of the
 * other mode. So a waiting BLOCK holds back later overlapping ADDs (and the reverse), a stream of
 * one mode cannot starve the other on a shared range, and requests on other ranges pass freely.
 * Every request gets a sequence number; "earlier" means a smaller one. {@link #tryAcquire} applies
 * the same test. Waits are bounded by the caller's timeout ({@code ETIMEDOUT}).
 *
 * <h2>Structure and cost</h2>
 * Four {@link RangeTree}s (interval treaps), holders and waiters per mode, under one
 * {@link ReentrantLock} <em>that nobody holds across a wait</em>: critical sections only look at
 * and relink trees; parking, clocks and the listener are all outside. With n the holders and
 * waiters in the trees a request consults:
 * <ul>
 *   <li>acquire / tryAcquire: two overlap queries, O(log n) each, and an O(log n) insert. (The
 *       linear scans this replaced cost O(H + W) per request and O(W * (H + W)) per release.)</li>
 *   <li>release: O(log n) removal, plus a grant pass over the waiters of the other mode that
 *       overlap the released range (the only ones its leaving can concern): O(log n + k) to find
 *       the k of them, O(log n) each to re-judge. A waiter giving up triggers the same pass.</li>
 * </ul>
 * Linux's proposed {@code range_lock} (Bueso, 2017; Kara's 2019 {@code range_rwsem}) is the model: an
 * interval tree of ranges under a spinlock, a waiter blocked by the overlaps it saw when queued.
 * Ours differs in keeping waiters in their own trees so that fairness ("no earlier overlapping
 * waiter of the other mode") is one query, not a count kept in every node.
 *
 * <h2>Never waiting on the event loop</h2>
 * A front end's event loop calls {@link #tryAcquire} and closes the holds it got. Neither may
 * park, even behind a thread that was descheduled inside the mutex:
 * <ul>
 *   <li>{@code tryAcquire} takes the mutex only with {@code tryLock}, spinning a few dozen times;
 *       if it is still busy, it answers null, as for a conflict (the caller falls back to its
 *       blocking path, off the loop). Of two concurrent tries one always gets in, so they can
 *       never both be refused for the mutex alone.</li>
 *   <li>Closing a hold takes it out of the trees at once if {@code tryLock} gets the mutex;
 *       otherwise it pushes the hold on a lock-free stack ({@link #released}) and tries the
 *       mutex once more. Whoever holds the mutex applies the stack before leaving it, and
 *       re-checks it after unlocking, so a release pushed while someone was inside is never
 *       stranded: its push comes before its second, failed {@code tryLock}, which comes before
 *       the owner's unlock, which comes before the owner's re-check (all synchronization
 *       actions, in one total order). Every critical section starts by applying the stack, so a hold
 *       released by a thread is gone for that thread's next request, and for anyone's.</li>
 * </ul>
 *
 * <h2>Waiting for oneself: EDEADLOCK</h2>
 * Every node records the thread that asked for it ({@link WaitNode#thread}: one field store,
 * which the park/grant protocol needs anyway), so the lock knows its holders per thread at no
 * cost to the paths that get in. Only a request that would have to wait looks: if an
 * overlapping holder of the other mode is this thread's, or an overlapping waiter of the other
 * mode is itself held back by a holder of this request's mode that is this thread's, waiting
 * would wait for ourselves (until the timeout): the request fails at once with
 * {@code EDEADLOCK} instead (DESIGN.md rule 2's safety net; the engine refuses the known cases
 * before it takes any lock). Longer chains through other threads' waiters end at those waiters'
 * deadlines and are not searched.
 *
 * <p>A grant whose mode differs from the volume's previous grant, whatever its range, is a mode
 * switch: {@code hold} compares with {@code lastGranted} under the mutex it already holds and
 * marks the node, and the granted thread tells the listener.
 *
 * <p>The listener is called outside the mutex. The granted node itself is the {@link Hold}.
 */
public final class RangeLock implements PagecacheLock {
    /** tryLock attempts before a try gives up on a busy mutex (critical sections are O(log n)). */
    private static final int TRY_SPINS = 64;

    private static final VarHandle RELEASED;
    private static final VarHandle CLOSED;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            RELEASED = l.findVarHandle(RangeLock.class, "released", RangeHold.class);
            CLOSED = l.findVarHandle(RangeHold.class, "closed", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Guards the trees, the sequence and every node's links. Never held across a wait or a listener call. */
    private final ReentrantLock mutex = new ReentrantLock();
    /** Current holders, by {@link LockMode#ordinal()}. // guarded by mutex */
    private final RangeTree[] holders = {new RangeTree(0x5DEECE66DL), new RangeTree(0x2545F4914F6CDD1DL)};
    /** Current waiters, by {@link LockMode#ordinal()}. // guarded by mutex */
    private final RangeTree[] waiting = {new RangeTree(0x9E3779B97F4A7C15L), new RangeTree(0xBF58476D1CE4E5B9L)};
    /** Next request's sequence number: its place in the FIFO order. // guarded by mutex */
    private long nextSeq;
    /** Holds closed but not yet taken out of {@link #holders}: a Treiber stack through {@code nextReleased}. */
    @SuppressWarnings("unused") // accessed through RELEASED
    private volatile RangeHold released;

    /** The mode of the latest grant, for {@link LockListener#modeSwitched}. // guarded by mutex */
    private LockMode lastGranted = LockMode.ADD;

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
        enter();
        try {
            node.seq = nextSeq++;
            if (mayProceed(node, Long.MAX_VALUE)) {
                hold(node);
            } else {
                start = System.nanoTime();
                if (waitsForItself(node)) {
                    refused = LockOutcome.EDEADLOCK;
                } else if (timeoutNanos <= 0) {
                    refused = LockOutcome.TIMEOUT;
                } else if (Thread.currentThread().isInterrupted()) {
                    refused = LockOutcome.INTERRUPTED;
                } else {
                    waiting[mode.ordinal()].insert(node);
                    queued = true;
                }
            }
        } finally {
            exit();
        }
        if (refused != null) {
            throw failed(node, refused, start, timeoutNanos);
        }
        if (!queued) {
            return acquired(node, 0L, false);
        }
        int result = node.await(start, timeoutNanos);
        if (result != WaitNode.GRANTED) {
            enter();
            try {
                if (!node.granted) {
                    waiting[mode.ordinal()].remove(node);
                    grantOverlapping(mode.other(), node.firstPage, node.endPage); // it may have held them back
                }
            } finally {
                exit();
            }
            if (result == WaitNode.INTERRUPTED) {
                Thread.currentThread().interrupt(); // restored whether or not we got the lock
            }
            if (!node.granted) {
                throw failed(node, result == WaitNode.INTERRUPTED ? LockOutcome.INTERRUPTED : LockOutcome.TIMEOUT,
                        start, timeoutNanos);
            }
            // Granted while giving up: we hold it, so take it rather than leak it.
        }
        acquired(node, start, true);
        listener.waited(node.mode, LockPolicy.RANGE, node.firstPage, node.endPage, node.since - start,
                LockOutcome.ACQUIRED);
        return node;
    }

    @Override
    public Hold tryAcquire(LockMode mode, long firstPage, long endPage) {
        LockErrors.checkRange(mode, firstPage, endPage);
        if (!tryEnter()) {
            return null; // the bookkeeping is busy this instant; a try never waits for it
        }
        RangeHold node = new RangeHold(this, mode, firstPage, endPage);
        try {
            node.seq = nextSeq++;
            if (!mayProceed(node, Long.MAX_VALUE)) {
                return null;
            }
            hold(node);
        } finally {
            exit();
        }
        return acquired(node, 0L, false);
    }

    @Override
    public void reportDeadlock(LockMode mode) {
        listener.failed(mode, LockPolicy.RANGE, 0L, LockOutcome.EDEADLOCK);
    }

    /** A snapshot; applies pending releases first, so it may wait for the mutex (metrics and tests only). */
    @Override
    public int holders(LockMode mode) {
        enter();
        try {
            return holders[mode.ordinal()].size();
        } finally {
            exit();
        }
    }

    /** As {@link #holders}. */
    @Override
    public int waiters(LockMode mode) {
        enter();
        try {
            return waiting[mode.ordinal()].size();
        } finally {
            exit();
        }
    }

    /** {@link RangeHold#close()}: never waits (see "Never waiting on the event loop"). */
    void release(RangeHold node) {
        if (!CLOSED.compareAndSet(node, false, true)) {
            throw new IllegalStateException("pagecache lock hold (" + node.mode + ") closed twice");
        }
        if (mutex.tryLock()) {
            applyReleases();
            unhold(node); // the mutex was free: no need to go through the stack
            exit();
        } else {
            RangeHold head;
            do {
                head = released;
                node.nextReleased = head;
            } while (!RELEASED.compareAndSet(this, head, node));
            if (mutex.tryLock()) { // after the push: whoever held the mutex may have left before it
                exit();
            }
        }
        listener.released(node.mode, LockPolicy.RANGE, timed ? System.nanoTime() - node.since : 0L);
    }

    // ---- entering and leaving the mutex -------------------------------------------------------

    private void enter() {
        mutex.lock();
        applyReleases();
    }

    private boolean tryEnter() {
        for (int i = 0; i < TRY_SPINS; i++) {
            if (mutex.tryLock()) {
                applyReleases();
                return true;
            }
            Thread.onSpinWait();
        }
        return false;
    }

    /** Applies pending releases, unlocks, and comes back for any pushed meanwhile (see the class comment). */
    private void exit() {
        do {
            applyReleases();
            mutex.unlock();
        } while (released != null && mutex.tryLock());
    }

    // ---- under the mutex --------------------------------------------------------------------

    private void applyReleases() {
        if (released == null) {
            return; // the common case: a volatile read, not an atomic swap
        }
        RangeHold n = (RangeHold) RELEASED.getAndSet(this, (RangeHold) null);
        while (n != null) {
            RangeHold next = n.nextReleased;
            n.nextReleased = null;
            unhold(n);
            n = next;
        }
    }

    private void unhold(RangeHold n) {
        holders[n.mode.ordinal()].remove(n);
        grantOverlapping(n.mode.other(), n.firstPage, n.endPage);
    }

    /**
     * Whether {@code node} may hold now: no overlapping holder of the other mode, and no
     * overlapping waiter of the other mode older than {@code beforeSeq}.
     */
    private boolean mayProceed(RangeHold node, long beforeSeq) {
        int other = node.mode.other().ordinal();
        return holders[other].anyOverlap(node.firstPage, node.endPage, Long.MAX_VALUE) == null
                && waiting[other].anyOverlap(node.firstPage, node.endPage, beforeSeq) == null;
    }

    /**
     * Grants, oldest first, every waiter of {@code mode} overlapping {@code [first, end)} that may
     * now proceed: the only waiters that the departure of a holder or waiter of the other mode on
     * that range can concern. A grant never frees anyone else (it only adds a holder).
     */
    private void grantOverlapping(LockMode mode, long first, long end) {
        RangeTree q = waiting[mode.ordinal()];
        if (q.isEmpty()) {
            return;
        }
        List<RangeHold> candidates = q.overlapping(first, end);
        candidates.sort((a, b) -> Long.compare(a.seq, b.seq));
        for (RangeHold w : candidates) {
            if (mayProceed(w, w.seq)) {
                q.remove(w);
                hold(w);
                w.grant();
            }
        }
    }

    private void hold(RangeHold node) {
        holders[node.mode.ordinal()].insert(node);
        node.switched = lastGranted != node.mode;
        lastGranted = node.mode;
    }

    /** See "Waiting for oneself" in the class comment. Only for a request that must wait. */
    private boolean waitsForItself(RangeHold node) {
        Thread me = node.thread;
        RangeTree otherHolders = holders[node.mode.other().ordinal()];
        for (RangeHold h : otherHolders.overlapping(node.firstPage, node.endPage)) {
            if (h.thread == me) {
                return true;
            }
        }
        RangeTree sameHolders = holders[node.mode.ordinal()];
        for (RangeHold w : waiting[node.mode.other().ordinal()].overlapping(node.firstPage, node.endPage)) {
            for (RangeHold h : sameHolders.overlapping(w.firstPage, w.endPage)) {
                if (h.thread == me) {
                    return true;
                }
            }
        }
        return false;
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
        if (node.switched) {
            listener.modeSwitched(node.mode, LockPolicy.RANGE);
        }
        return node;
    }

    private RuntimeException failed(RangeHold node, LockOutcome outcome, long start, long timeoutNanos) {
        long waited = System.nanoTime() - start;
        listener.failed(node.mode, LockPolicy.RANGE, timed ? waited : 0L, outcome);
        listener.waited(node.mode, LockPolicy.RANGE, node.firstPage, node.endPage, waited, outcome);
        return switch (outcome) {
            case INTERRUPTED -> LockErrors.interrupted(node.mode, LockPolicy.RANGE);
            case EDEADLOCK -> LockErrors.deadlock(node.mode, LockPolicy.RANGE, node.firstPage, node.endPage);
            default -> LockErrors.timedOut(node.mode, LockPolicy.RANGE, timeoutNanos);
        };
    }

    @Override
    public String toString() {
        enter();
        try {
            return "RangeLock[ADD held " + holders[0].size() + ", BLOCK held " + holders[1].size()
                    + ", ADD waiting " + waiting[0].size() + ", BLOCK waiting " + waiting[1].size() + "]";
        } finally {
            exit();
        }
    }

    /** One request: a waiter until granted, then a holder and the caller's {@link Hold}. */
    static final class RangeHold extends WaitNode implements Hold {
        private final RangeLock lock;
        final LockMode mode;
        final long firstPage;
        final long endPage;
        /** FIFO order among requests. // guarded by lock.mutex (written before the node is linked) */
        long seq;
        /** Tree links and augmentation ({@link RangeTree}). // guarded by lock.mutex */
        RangeHold left;
        RangeHold right;
        long prio;
        long maxEnd;
        long minSeq;
        /** Link in the stack of closed holds waiting to be applied. */
        RangeHold nextReleased;
        /** Grant time when timed (else 0); written before the Hold is returned, read by close. */
        long since;
        /** Set once by the first close (CAS): a second close throws, and the hold is released once. */
        @SuppressWarnings("unused") // accessed through CLOSED
        private volatile boolean closed;

        RangeHold(RangeLock lock, LockMode mode, long firstPage, long endPage) {
            this.lock = lock;
            this.mode = mode;
            this.firstPage = firstPage;
            this.endPage = endPage;
            this.thread = Thread.currentThread(); // the owner (EDEADLOCK) and the unpark target
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
