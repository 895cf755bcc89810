package io.blockhaus.engine.lock;

import io.blockhaus.engine.call.CallBudget;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The {@link LockPolicy#TWO_STATE} pagecache lock: one lock per volume, page ranges ignored
 * (but checked, like {@link RangeLock} does).
 *
 * <h2>Modes</h2>
 * {@link LockMode#ADD} is taken by every path that inserts pages (buffered read miss, write to an
 * absent page, fault miss, readahead); {@link LockMode#BLOCK} by every path that shoots pages down
 * and keeps them down (direct I/O, fallocate, truncate). Any number of threads share a mode; the
 * two modes exclude each other. It protects exactly one thing: that no page is added to the cache
 * while someone holds it blocked.
 *
 * <h2>Fairness: phase-fair hand-off</h2>
 * <ul>
 *   <li>While a BLOCK waiter exists, new ADD acquirers wait even though ADD is held (and the
 *       reverse). So a stream of buffered I/O cannot starve a direct write, nor the reverse.</li>
 *   <li>When the last holder of a mode releases and the other mode has waiters, the releaser
 *       grants <em>all</em> current waiters of the other mode as one batch: it adds their number to
 *       the holder count and unparks each. Nobody is woken only to find the lock taken again
 *       (no thundering herd), and phases alternate while both sides wait (no starvation).</li>
 *   <li>{@link #tryAcquire} obeys the same rule: it fails if the other mode has waiters.</li>
 * </ul>
 *
 * <h2>Fast path</h2>
 * All of the above that matters to an uncontended caller lives in one atomic word, {@link #state}:
 * <pre>
 *   bits 0..31  holder count
 *   bit  32     mode of the holders (1 = BLOCK); kept after the count drops to 0 = last mode held
 *   bit  33     ADD_WAITING    some ADD waiter is queued
 *   bit  34     BLOCK_WAITING  some BLOCK waiter is queued
 * </pre>
 * Acquire is one CAS when the caller is admitted ({@link #admits}: the other mode is not waiting,
 * and the lock is free or held in the caller's mode). Release is one CAS that decrements the
 * count; only when it drops the count to 0 <em>with</em> a waiting bit set does the releaser go
 * to the mutex to hand off, and even then it never waits for it (see "Releasing without
 * waiting"). No mutex, no clock read (with an untimed listener), and one small
 * {@link TwoStateHold} allocation, which escape analysis usually removes for try-with-resources
 * callers. (A shared preallocated Hold per mode would save it, but then closing a Hold twice could
 * not be detected, and a double release would silently corrupt the count.)
 *
 * <h2>Slow path</h2>
 * A {@link ReentrantLock} guards the two waiter queues and every change of a waiting bit. A waiter
 * sets its bit with a CAS on the exact state it judged inadmissible, so a release that races with
 * it either changes the state (the CAS fails and the waiter re-judges) or sees the bit and comes
 * to the mutex to hand off: no lost wake-up. Bits change only under the mutex, so the invariant
 * "bit set iff queue non-empty" holds whenever the mutex is free. {@link #dispatch} is the one place
 * that grants; it runs after a last release, and after a waiter gives up (its leaving may clear
 * the way for others).
 *
 * <h2>Releasing without waiting</h2>
 * An event loop releases the ADD it got from {@link #tryAcquire}; if a BLOCK waiter queued
 * meanwhile, that release is the hand-off, and waiting for the mutex there would stall the loop
 * behind whoever holds it (a preempted waiter in the middle of queueing itself). So the last
 * releaser raises {@code handoffPending} and only <em>tries</em> the mutex; every holder leaves
 * the mutex through {@link #exit}, which unlocks and then, if the flag is up, tries the mutex
 * again and dispatches. No hand-off is lost: the releaser writes the flag before its try, a
 * holder reads it after its unlock (all volatile), so if the try failed because the mutex was
 * held, that holder's later read sees the flag. A dispatch run later than the release is
 * still right, since it judges the state as it finds it (it already does after a cancel).
 *
 * <h2>What the listener hears</h2>
 * Grants, releases and failures, as before; a <em>mode switch</em> when a grant's mode differs
 * from the previous grant's: exactly an entry from a state of count 0 whose mode bit (kept after
 * the last release) is the other mode, judged on the state the winning CAS replaced, so racing
 * first entrants of the new mode see one switch between them, and a batch granted by
 * {@link #dispatch} is one switch (marked on its first node before it is woken). The slow path
 * also reports each request's wait with its page range ({@link LockListener#waited}): this lock
 * ignores the range but passes on the caller's, so a long wait names what was asked for.
 *
 * <h2>Giving up: timeouts, deadlines, cancellation</h2>
 * A wait ends without the lock in four ways: the lock's timeout, the call's deadline when it is
 * sooner, an interrupt, or the call's cancellation ({@link CallBudget}). All four leave by the
 * same door, and the lock itself knows nothing of calls:
 * <ul>
 *   <li><b>Nothing is left behind.</b> The waiter itself, under the mutex, re-checks
 *       {@code granted}; if it was not granted it unlinks its node, clears its waiting bit if
 *       its queue is now empty, and dispatches (its leaving may let in those it held back). So
 *       "bit set iff queue non-empty" holds as before, the waiter lists are clean, and the
 *       caller holds nothing. Only the waiter ever touches the queues on its way out.</li>
 *   <li><b>A cancellation never waits.</b> {@link CallBudget#cancel} sets the call's state and
 *       unparks the threads registered with it ({@link WaitNode#await} registers before its
 *       first check); it never takes this lock's mutex or touches its state word. So it may run
 *       on any thread, a transport's event loop included, and it cannot be lost: either the
 *       waiter's check sees the state, or the unpark comes after the registration and wakes the
 *       park (or leaves the permit that makes the next park return at once).</li>
 *   <li><b>A grant racing a cancellation wins.</b> {@link #dispatch} counts a node as a holder
 *       before it sets {@code granted}; a waiter that finds itself granted under the mutex holds
 *       the lock and takes it, as after a late timeout. The operation then goes on: the
 *       cancellation came too late for this wait, as it may come too late for any other.</li>
 *   <li><b>The fast path never looks.</b> An admitted caller is granted without reading its
 *       budget: a cancellation ends waits, it does not refuse work that needs none (Linux's
 *       killable waits look for a fatal signal only when they would sleep). A request that must
 *       wait checks the budget before it queues, so an already cancelled or expired call is
 *       refused without ever being queued.</li>
 * </ul>
 *
 * <h2>Waiting for oneself: EDEADLOCK</h2>
 * A thread that holds BLOCK and asks for ADD (a direct I/O faulting in its own buffer) would wait
 * for its own hold until the timeout. So would a thread that holds BLOCK and asks for BLOCK again
 * while an ADD waits: that ADD waits for the first hold, and fairness puts the second behind
 * that ADD. Both are refused at once with {@code EDEADLOCK} (DESIGN.md rule 2's safety net; the
 * engine refuses the known cases before it takes any lock). The rule is exact: a request that
 * is not admitted from a thread that holds BLOCK here would wait for itself, since "not
 * admitted" means BLOCK is held (ADD asked) or ADD is waiting (BLOCK asked), and either waits
 * for every BLOCK holder.
 * <ul>
 *   <li>To know it, each thread keeps its own count of the BLOCK holds it has open on this lock
 *       ({@link BlockHolds}, reached through a per-lock {@link ThreadLocal}): one thread-local
 *       lookup and a plain increment per BLOCK acquisition, a plain decrement per release. BLOCK
 *       is taken by direct I/O, fallocate and truncate, each a system call or more; ADD, taken
 *       on every cache miss, records nothing, and the count is read only on the slow path,
 *       when the caller is about to wait anyway.</li>
 *   <li>A hold closed by another thread (handed over) cannot touch the owner's plain count; it
 *       counts itself in the owner's atomic {@code closedElsewhere} instead. The owner then sees
 *       the close once it can see the release in the state word (the count is updated first).</li>
 *   <li>Not detected: a thread that holds ADD and asks again while a BLOCK waits. No engine
 *       path does that (ADD holders only insert and fill pages); {@link RangeLock}, which
 *       records every holder's thread anyway, detects it too.</li>
 * </ul>
 */
public final class TwoStateLock implements PagecacheLock {
    private static final long COUNT_MASK = 0xFFFF_FFFFL;
    private static final long MAX_HOLDERS = Integer.MAX_VALUE;
    private static final long BLOCK_MODE = 1L << 32;
    private static final long ADD_WAITING = 1L << 33;
    private static final long BLOCK_WAITING = 1L << 34;
    private static final long WAITING = ADD_WAITING | BLOCK_WAITING;

    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(TwoStateLock.class, "state", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Count, mode and waiting bits (layout above). Count/mode change by CAS anywhere; waiting bits only under {@link #mutex}. */
    @SuppressWarnings("unused") // accessed through STATE
    private volatile long state;

    /** Slow path only: queues, waiting bits, hand-off. Never held while calling the listener. */
    private final ReentrantLock mutex = new ReentrantLock();
    /** A last release found the mutex busy: its holder dispatches on the way out ({@link #exit}). */
    private volatile boolean handoffPending;
    /** ADD waiters in arrival order; granted all at once. // guarded by mutex */
    private final NodeList<WaitNode> addWaiters = new NodeList<>();
    /** BLOCK waiters in arrival order; granted all at once. // guarded by mutex */
    private final NodeList<WaitNode> blockWaiters = new NodeList<>();

    private final LockListener listener;
    /** Cached {@link LockListener#timed()}: false means never read the clock on the fast path. */
    private final boolean timed;
    /** Per thread: the BLOCK holds it has open here (see "Waiting for oneself"). */
    private final ThreadLocal<BlockHolds> blockHolds = ThreadLocal.withInitial(BlockHolds::new);

    TwoStateLock(LockListener listener) {
        this.listener = GuardedListener.guard(listener);
        this.timed = this.listener.timed();
    }

    @Override
    public LockPolicy policy() {
        return LockPolicy.TWO_STATE;
    }

    @Override
    public Hold acquire(LockMode mode, long firstPage, long endPage, long timeoutNanos, CallBudget call) {
        LockErrors.checkRange(mode, firstPage, endPage);
        int entered = tryFast(mode);
        if (entered != NOT_ADMITTED) {
            return acquiredUncontended(mode, entered == SWITCHED);
        }
        return acquireSlow(mode, firstPage, endPage, timeoutNanos, call);
    }

    @Override
    public Hold tryAcquire(LockMode mode, long firstPage, long endPage) {
        LockErrors.checkRange(mode, firstPage, endPage);
        int entered = tryFast(mode);
        return entered != NOT_ADMITTED ? acquiredUncontended(mode, entered == SWITCHED) : null;
    }

    @Override
    public void reportDeadlock(LockMode mode) {
        listener.failed(mode, LockPolicy.TWO_STATE, 0L, LockOutcome.EDEADLOCK);
    }

    @Override
    public int holders(LockMode mode) {
        long s = state;
        return modeOf(s) == mode ? count(s) : 0;
    }

    @Override
    public int waiters(LockMode mode) {
        mutex.lock();
        try {
            return queue(mode).size();
        } finally {
            exit();
        }
    }

    @Override
    public String toString() {
        long s = state;
        return "TwoStateLock[" + count(s) + " x " + modeOf(s)
                + ((s & ADD_WAITING) != 0 ? ", ADD waiting" : "")
                + ((s & BLOCK_WAITING) != 0 ? ", BLOCK waiting" : "") + "]";
    }

    // ---- fast path ------------------------------------------------------------------------

    /** Whether a request for {@code mode} may enter now, fairness included. */
    private static boolean admits(long s, LockMode mode) {
        return (s & waitingBit(mode.other())) == 0 && (count(s) == 0 || modeOf(s) == mode);
    }

    /** {@link #tryFast}'s answers: refused, entered in the mode last held, entered switching modes. */
    private static final int NOT_ADMITTED = 0;
    private static final int ENTERED = 1;
    private static final int SWITCHED = 2;

    /**
     * One CAS when admitted; retries only while still admitted (other same-mode acquirers racing).
     * Says whether the entry switched modes (the state word keeps the last mode held, so that
     * costs a compare on a value already read).
     */
    private int tryFast(LockMode mode) {
        long s;
        while (admits(s = state, mode)) {
            if (STATE.compareAndSet(this, s, entered(s, mode))) {
                return switches(s, mode) ? SWITCHED : ENTERED;
            }
        }
        return NOT_ADMITTED;
    }

    /** Whether entering {@code mode} from state {@code s} is a mode switch: free, last held in the other mode. */
    private static boolean switches(long s, LockMode mode) {
        return count(s) == 0 && modeOf(s) != mode;
    }

    private static long entered(long s, LockMode mode) {
        if ((s & COUNT_MASK) >= MAX_HOLDERS) {
            throw new IllegalStateException("too many holders of the pagecache lock");
        }
        return ((s & ~BLOCK_MODE) | modeBit(mode)) + 1;
    }

    private Hold acquiredUncontended(LockMode mode, boolean switched) {
        long now = timed ? System.nanoTime() : 0L;
        listener.acquired(mode, LockPolicy.TWO_STATE, 0L, false);
        if (switched) {
            listener.modeSwitched(mode, LockPolicy.TWO_STATE);
        }
        return new TwoStateHold(this, mode, now, owned(mode));
    }

    /** The caller's record when it takes BLOCK (counted now), else null: ADD records nothing. */
    private BlockHolds owned(LockMode mode) {
        if (mode != LockMode.BLOCK) {
            return null;
        }
        BlockHolds t = blockHolds.get();
        t.open++;
        return t;
    }

    /** Called once per hold by {@link TwoStateHold#close()}. */
    void release(LockMode mode, long since) {
        for (;;) {
            long s = state;
            if (count(s) == 0 || modeOf(s) != mode) {
                throw new IllegalStateException("release of " + mode + " not held: " + this);
            }
            long n = s - 1;
            if (STATE.compareAndSet(this, s, n)) {
                if (count(n) == 0 && (n & WAITING) != 0) {
                    // Last holder out with waiters queued: hand off, here or through the mutex's
                    // holder (see "Releasing without waiting"). Nobody can slip in meanwhile on
                    // the fast path unless fairness admits them anyway.
                    handoffPending = true;
                    if (mutex.tryLock()) {
                        handoffPending = false;
                        try {
                            dispatch();
                        } finally {
                            exit();
                        }
                    }
                }
                break;
            }
        }
        listener.released(mode, LockPolicy.TWO_STATE, timed ? System.nanoTime() - since : 0L);
    }

    // ---- slow path ------------------------------------------------------------------------

    private Hold acquireSlow(LockMode mode, long firstPage, long endPage, long timeoutNanos, CallBudget call) {
        long start = System.nanoTime();
        boolean holdsBlock = blockHolds.get().holding();
        WaitNode node = null;
        LockOutcome refused = null;
        boolean switched = false;
        mutex.lock();
        try {
            for (;;) {
                long s = state;
                if (admits(s, mode)) {
                    if (STATE.compareAndSet(this, s, entered(s, mode))) {
                        switched = switches(s, mode);
                        break; // admitted after all: a same-mode race or a hand-off in progress
                    }
                } else if (holdsBlock) {
                    refused = LockOutcome.EDEADLOCK;
                    break;
                } else if (call.isCancelled()) {
                    refused = LockOutcome.CANCELLED;
                    break;
                } else if (call.waitNanos(timeoutNanos) <= 0) {
                    // 0 also when a cancellation landed after the check above: ask the call which
                    refused = call.isCancelled() ? LockOutcome.CANCELLED : LockOutcome.TIMEOUT;
                    break;
                } else if (Thread.currentThread().isInterrupted()) {
                    refused = LockOutcome.INTERRUPTED;
                    break;
                } else if (STATE.compareAndSet(this, s, s | waitingBit(mode))) {
                    // Set on exactly the state judged inadmissible: a racing release either
                    // failed this CAS or will see the bit and come here to hand off.
                    node = new WaitNode();
                    node.thread = Thread.currentThread();
                    queue(mode).addLast(node);
                    break;
                }
            }
        } finally {
            exit();
        }
        if (refused != null) {
            throw failed(mode, refused, start, timeoutNanos, firstPage, endPage, call);
        }
        if (node == null) {
            return acquiredAfterWait(mode, start, false, switched);
        }
        int result = node.await(start, timeoutNanos, call);
        if (result != WaitNode.GRANTED) {
            mutex.lock();
            try {
                if (!node.granted) {
                    cancel(mode, node);
                }
            } finally {
                exit();
            }
            if (result == WaitNode.INTERRUPTED) {
                Thread.currentThread().interrupt(); // restored whether or not we got the lock
            }
            if (!node.granted) {
                throw failed(mode, outcomeOf(result), start, timeoutNanos, firstPage, endPage, call);
            }
            // Granted while giving up: we hold it, so take it rather than leak it (a cancelled
            // call's operation then goes on: the cancellation lost the race, as it may anywhere).
        }
        Hold h = acquiredAfterWait(mode, start, true, node.switched);
        listener.waited(mode, LockPolicy.TWO_STATE, firstPage, endPage, ((TwoStateHold) h).since - start,
                LockOutcome.ACQUIRED);
        return h;
    }

    private Hold acquiredAfterWait(LockMode mode, long start, boolean contended, boolean switched) {
        long now = System.nanoTime();
        listener.acquired(mode, LockPolicy.TWO_STATE, timed ? now - start : 0L, contended);
        if (switched) {
            listener.modeSwitched(mode, LockPolicy.TWO_STATE);
        }
        return new TwoStateHold(this, mode, now, owned(mode));
    }

    private RuntimeException failed(LockMode mode, LockOutcome outcome, long start, long timeoutNanos,
            long firstPage, long endPage, CallBudget call) {
        long waited = System.nanoTime() - start;
        listener.failed(mode, LockPolicy.TWO_STATE, timed ? waited : 0L, outcome);
        listener.waited(mode, LockPolicy.TWO_STATE, firstPage, endPage, waited, outcome);
        return LockErrors.of(outcome, mode, LockPolicy.TWO_STATE, 0, Long.MAX_VALUE, timeoutNanos,
                call.endedBefore(start, timeoutNanos));
    }

    /** The outcome of a wait that ended without a grant ({@link WaitNode#await}'s result). */
    static LockOutcome outcomeOf(int awaitResult) {
        return switch (awaitResult) {
            case WaitNode.INTERRUPTED -> LockOutcome.INTERRUPTED;
            case WaitNode.CANCELLED -> LockOutcome.CANCELLED;
            default -> LockOutcome.TIMEOUT;
        };
    }

    /** A waiter gives up: leave the queue, drop the bit if last, and let whoever it held back in. */
    private void cancel(LockMode mode, WaitNode node) {
        NodeList<WaitNode> q = queue(mode);
        q.remove(node);
        if (q.isEmpty()) {
            long bit = waitingBit(mode);
            long s;
            do {
                s = state;
            } while (!STATE.compareAndSet(this, s, s & ~bit));
        }
        dispatch();
    }

    /** Runs {@code whileHeld} holding the mutex and leaves it as the lock's own paths do (for tests). */
    void holdMutexForTests(Runnable whileHeld) {
        mutex.lock();
        try {
            whileHeld.run();
        } finally {
            exit();
        }
    }

    /** Unlocks the mutex, then runs any hand-off a release left meanwhile (see "Releasing without waiting"). */
    private void exit() {
        mutex.unlock();
        while (handoffPending && mutex.tryLock()) {
            handoffPending = false;
            try {
                dispatch();
            } finally {
                mutex.unlock();
            }
        }
    }

    /**
     * Grants whatever the current state allows. Caller holds {@link #mutex}.
     * <ul>
     *   <li>Lock free: grant all waiters of the mode <em>not</em> held last if there are any
     *       (the alternation that makes it phase-fair), else all waiters of the last mode.</li>
     *   <li>Lock held: its own mode's waiters may join, but only once the other mode is no
     *       longer waiting (they queued behind a waiter that has since given up).</li>
     * </ul>
     */
    private void dispatch() {
        for (;;) {
            long s = state;
            LockMode last = modeOf(s);
            LockMode grant;
            if (count(s) == 0) {
                grant = !queue(last.other()).isEmpty() ? last.other() : !queue(last).isEmpty() ? last : null;
            } else {
                grant = !queue(last).isEmpty() && queue(last.other()).isEmpty() ? last : null;
            }
            if (grant == null) {
                return;
            }
            NodeList<WaitNode> q = queue(grant);
            long n = ((s & ~BLOCK_MODE & ~waitingBit(grant)) | modeBit(grant)) + q.size();
            if (STATE.compareAndSet(this, s, n)) {
                // Counted first, then woken: a granted waiter never has to touch the state.
                WaitNode head = q.clear();
                head.switched = switches(s, grant); // one switch per batch, reported by its first
                for (WaitNode w = head, next; w != null; w = next) {
                    next = w.next;
                    w.prev = null;
                    w.next = null;
                    w.grant();
                }
                return;
            }
            // A same-mode holder released concurrently: re-judge with the new count.
        }
    }

    // ---- state word helpers -----------------------------------------------------------------

    private NodeList<WaitNode> queue(LockMode mode) {
        return mode == LockMode.ADD ? addWaiters : blockWaiters;
    }

    private static int count(long s) {
        return (int) (s & COUNT_MASK);
    }

    private static LockMode modeOf(long s) {
        return (s & BLOCK_MODE) != 0 ? LockMode.BLOCK : LockMode.ADD;
    }

    private static long modeBit(LockMode mode) {
        return mode == LockMode.BLOCK ? BLOCK_MODE : 0L;
    }

    private static long waitingBit(LockMode mode) {
        return mode == LockMode.BLOCK ? BLOCK_WAITING : ADD_WAITING;
    }

    /**
     * One thread's BLOCK holds on one lock. {@code open} is the owner's alone (plain, no atomics);
     * closes by other threads go to {@code closedElsewhere}.
     */
    static final class BlockHolds {
        private final Thread owner = Thread.currentThread();
        private int open;
        private final AtomicInteger closedElsewhere = new AtomicInteger();

        /** Owner thread only. */
        boolean holding() {
            return open - closedElsewhere.get() > 0;
        }

        void closed() {
            if (Thread.currentThread() == owner) {
                open--;
            } else {
                closedElsewhere.incrementAndGet();
            }
        }
    }

    /** One grant of a {@link TwoStateLock}. */
    static final class TwoStateHold implements Hold {
        private final TwoStateLock lock;
        private final LockMode mode;
        /** Grant time when the listener is timed, else 0. */
        private final long since;
        /** The acquiring thread's BLOCK record (null for ADD). */
        private final BlockHolds owner;
        /**
         * A plain field, not a CAS: on this path every atomic costs as much as the lock word's
         * own CAS (~15 ns on a 2-core EPYC VM). A Hold is used by one thread at a time (or handed
         * over with a happens-before), so a second close is always seen; only two threads racing
         * to close the same Hold, itself a bug, could both get through.
         */
        private boolean closed;

        TwoStateHold(TwoStateLock lock, LockMode mode, long since, BlockHolds owner) {
            this.lock = lock;
            this.mode = mode;
            this.since = since;
            this.owner = owner;
        }

        @Override
        public LockMode mode() {
            return mode;
        }

        @Override
        public void close() {
            if (closed) {
                throw new IllegalStateException("pagecache lock hold (" + mode + ") closed twice");
            }
            closed = true;
            if (owner != null) {
                owner.closed(); // before the state word says released (see "Waiting for oneself")
            }
            lock.release(mode, since);
        }

        @Override
        public String toString() {
            return "Hold[" + mode + (closed ? ", closed" : "") + "]";
        }
    }
}
