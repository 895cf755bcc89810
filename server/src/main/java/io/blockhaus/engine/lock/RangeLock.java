package io.blockhaus.engine.lock;

import io.blockhaus.engine.call.CallBudget;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The {@link LockPolicy#RANGE} pagecache lock: each hold covers pages {@code [firstPage, endPage)}
 * ({@code endPage == Long.MAX_VALUE}: to the end, whatever the volume's size becomes).
 *
 * <h2>Three classes</h2>
 * A request is a {@link RangeHold} (a waiter until granted, then the caller's {@link Hold}). Who
 * holds and who waits, and who may proceed, is the {@link RangeLockTable}: ADD and BLOCK conflict
 * only where their ranges overlap, and a request also waits behind an earlier overlapping waiter
 * of the other mode, so neither mode starves the other on a shared range (its class comment
 * argues the rules, the cost, EDEADLOCK and mode switches). This class is the concurrency
 * protocol around that table: one {@link ReentrantLock} guards it <em>that nobody holds across a
 * wait</em> (critical sections only look at and relink trees; parking, clocks and the listener
 * are all outside), how a thread waits and gives up, and how a release never waits.
 *
 * <h2>Waiting and giving up</h2>
 * Waits are bounded by the caller's timeout, or its call's deadline if sooner
 * ({@code ETIMEDOUT}), and end at once when the call is cancelled ({@code EINTR}); a waiter that
 * gives up leaves its tree and lets in whoever it held back, exactly as after a timeout (see
 * {@link TwoStateLock}, "Giving up: timeouts, deadlines, cancellation"). {@link #tryAcquire}
 * applies the same test as {@link #acquire} and never queues. A request that would wait for its
 * own thread fails at once with {@code EDEADLOCK} ({@link RangeLockTable#waitsForItself}).
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
 * <p>The listener is called outside the mutex. The granted node itself is the {@link Hold}.
 */
public final class RangeLock implements PagecacheLock {
    /** tryLock attempts before a try gives up on a busy mutex (critical sections are O(log n)). */
    private static final int TRY_SPINS = 64;

    private static final VarHandle RELEASED;

    static {
        try {
            RELEASED = MethodHandles.lookup().findVarHandle(RangeLock.class, "released", RangeHold.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Guards the table and every node's links. Never held across a wait or a listener call. */
    private final ReentrantLock mutex = new ReentrantLock();
    /** Who holds, who waits, who may proceed. // guarded by mutex */
    private final RangeLockTable table = new RangeLockTable();
    /** Holds closed but not yet taken out of the table: a Treiber stack through {@code nextReleased}. */
    @SuppressWarnings("unused") // accessed through RELEASED
    private volatile RangeHold released;

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
    public Hold acquire(LockMode mode, long firstPage, long endPage, long timeoutNanos, CallBudget call) {
        LockErrors.checkRange(mode, firstPage, endPage);
        RangeHold node = new RangeHold(this, mode, firstPage, endPage);
        long start = 0L;
        LockOutcome refused = null;
        boolean queued = false;
        enter();
        try {
            if (!table.admit(node)) {
                start = System.nanoTime();
                if (table.waitsForItself(node)) {
                    refused = LockOutcome.EDEADLOCK;
                } else if (call.isCancelled()) {
                    refused = LockOutcome.CANCELLED;
                } else if (call.waitNanos(timeoutNanos) <= 0) {
                    // 0 also when a cancellation landed after the check above: ask the call which
                    refused = call.isCancelled() ? LockOutcome.CANCELLED : LockOutcome.TIMEOUT;
                } else if (Thread.currentThread().isInterrupted()) {
                    refused = LockOutcome.INTERRUPTED;
                } else {
                    table.enqueue(node);
                    queued = true;
                }
            }
        } finally {
            exit();
        }
        if (refused != null) {
            throw failed(node, refused, start, timeoutNanos, call);
        }
        if (!queued) {
            return acquired(node, 0L, false);
        }
        int result = node.await(start, timeoutNanos, call);
        if (result != WaitNode.GRANTED) {
            enter();
            try {
                if (!node.granted) {
                    table.withdraw(node); // it may have held others back
                }
            } finally {
                exit();
            }
            if (result == WaitNode.INTERRUPTED) {
                Thread.currentThread().interrupt(); // restored whether or not we got the lock
            }
            if (!node.granted) {
                throw failed(node, TwoStateLock.outcomeOf(result), start, timeoutNanos, call);
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
            if (!table.admit(node)) {
                return null;
            }
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
            return table.holders(mode);
        } finally {
            exit();
        }
    }

    /** As {@link #holders}. */
    @Override
    public int waiters(LockMode mode) {
        enter();
        try {
            return table.waiters(mode);
        } finally {
            exit();
        }
    }

    /** {@link RangeHold#close()}: never waits (see "Never waiting on the event loop"). */
    void release(RangeHold node) {
        if (!node.markClosed()) {
            throw new IllegalStateException("pagecache lock hold (" + node.mode + ") closed twice");
        }
        if (mutex.tryLock()) {
            applyReleases();
            table.unhold(node); // the mutex was free: no need to go through the stack
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
            table.unhold(n);
            n = next;
        }
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

    private RuntimeException failed(RangeHold node, LockOutcome outcome, long start, long timeoutNanos,
            CallBudget call) {
        long waited = System.nanoTime() - start;
        listener.failed(node.mode, LockPolicy.RANGE, timed ? waited : 0L, outcome);
        listener.waited(node.mode, LockPolicy.RANGE, node.firstPage, node.endPage, waited, outcome);
        return LockErrors.of(outcome, node.mode, LockPolicy.RANGE, node.firstPage, node.endPage, timeoutNanos,
                call.endedBefore(start, timeoutNanos));
    }

    @Override
    public String toString() {
        enter();
        try {
            return "RangeLock[ADD held " + table.holders(LockMode.ADD) + ", BLOCK held " + table.holders(LockMode.BLOCK)
                    + ", ADD waiting " + table.waiters(LockMode.ADD) + ", BLOCK waiting " + table.waiters(LockMode.BLOCK) + "]";
        } finally {
            exit();
        }
    }
}
