package io.blockhaus.engine.call;

import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * What one front-end call may still spend waiting: a deadline, and a cancellation that ends
 * every wait of the call at once. The engine's waits (the pagecache lock, page memory, the
 * resize lock, a busy page's lock, dirty throttling, a mapping's recall) wait for the shorter
 * of their own bound (the volume's lock timeout, the engine's memory wait, the recall timeout)
 * and the call's; a cancelled call gives up the wait
 * it is in and fails with {@code EINTR}, as a Linux task's killable wait does when the task is
 * killed ({@code mutex_lock_killable}, {@code wait_event_killable}: a caller that is going away
 * gets {@code -EINTR}). Protocol-free: gRPC makes one from its call's Context; NBD, which has no
 * per-request deadline, uses {@link #NONE} and keeps the volume's timeouts.
 *
 * <h2>How it reaches the waits</h2>
 * A front end binds the budget around the engine call ({@link #call}); the operation reads it
 * once at its start ({@link #current}) and hands it explicitly to each wait, until its last
 * cancellation point (see "Changing nothing"). The binding is a {@link ScopedValue}, for the
 * reason {@code Recalls} keeps its scope per thread: an operation runs on one thread from start
 * to end, and threading a parameter through every public operation of {@code Handle} and
 * {@code Mapping} would double the API for what is, for NBD, always {@code NONE}. A ScopedValue
 * rather than a ThreadLocal: the binding is immutable and ends with its scope by construction,
 * so a cancelled budget can never linger on a pooled worker thread into the next call, and
 * reading it is cheap. {@link #KEY} is a {@code static final} key, not mutable static state:
 * the key never changes, and what a read returns is fixed by the caller's dynamic scope, like
 * an argument. (A key per engine would only make the front end find the engine: a budget
 * belongs to a client's call, not to a volume.)
 *
 * <h2>Waking without blocking</h2>
 * A waiter registers its own thread ({@link #wakeOnCancel}); {@link #cancel} and
 * {@link #expire} set the state first and then unpark every registered thread. That is all a
 * cancellation does, so it may run on any thread, a transport's event loop included: it takes
 * no lock and waits for nothing. A waiter registers before it checks the state and parks only
 * while the state says live, so a cancellation either is seen by the check or unparks a thread
 * that is parked or about to park (the permit then makes the park return at once): no lost
 * wake-up, the same Dekker argument as {@code MemoryWaits}.
 *
 * <h2>Changing nothing</h2>
 * A wait that gives up because of the budget has changed nothing: the lock was not granted, no
 * memory was taken, no page added. An operation that makes several changes (a buffered write
 * over many pages, a write through a mapping, a direct I/O in chunks) passes the budget only to
 * the waits before its first change, and {@link #NONE} after: its last cancellation point is
 * the last wait before it changes anything, after which it completes under the engine's own
 * bounds, so cancelling never leaves a write half-done. The recall wait comes after the change
 * by nature: running out there revokes the mappings that did not answer (what the recall
 * timeout does anyway) and the operation completes.
 */
public final class CallBudget {
    /** No deadline, never cancelled: the engine's own bounds only (NBD, background work). */
    public static final CallBudget NONE = new CallBudget(Long.MAX_VALUE, false);

    private static final ScopedValue<CallBudget> KEY = ScopedValue.newInstance();

    private static final int LIVE = 0;
    private static final int EXPIRED = 1;
    private static final int CANCELLED = 2;

    /** System.nanoTime deadline, meaningful only when {@link #bounded}. */
    private final long deadline;
    private final boolean bounded;
    private final AtomicInteger state = new AtomicInteger(LIVE);
    /** Threads in a wait of this call; unparked by a cancellation. */
    private final ConcurrentLinkedQueue<Thread> waiting = new ConcurrentLinkedQueue<>();

    private CallBudget(long deadline, boolean bounded) {
        this.deadline = deadline;
        this.bounded = bounded;
    }

    /** A call with no deadline that may be cancelled. */
    public static CallBudget unbounded() {
        return new CallBudget(Long.MAX_VALUE, false);
    }

    /** A call that must be answered within {@code nanos} from now (System.nanoTime). */
    public static CallBudget within(long nanos) {
        return new CallBudget(System.nanoTime() + Math.max(0, nanos), true);
    }

    /** The budget bound by the caller ({@link #call}), else {@link #NONE}. */
    public static CallBudget current() {
        return KEY.orElse(NONE);
    }

    /** Runs {@code op} with this budget as {@link #current}. */
    public <T> T call(Supplier<T> op) {
        return ScopedValue.where(KEY, this).call(op::get);
    }

    /** Runs {@code op} with this budget as {@link #current}. */
    public void run(Runnable op) {
        ScopedValue.where(KEY, this).run(op);
    }

    /** The caller gave up: every wait of this call ends now, with EINTR. Idempotent; never blocks. */
    public void cancel() {
        end(CANCELLED);
    }

    /**
     * The deadline passed, by the front end's own clock (gRPC's timer): every wait of this call
     * ends now as a timeout. Idempotent; never blocks.
     */
    public void expire() {
        end(EXPIRED);
    }

    private void end(int how) {
        if (this == NONE || !state.compareAndSet(LIVE, how)) {
            return;
        }
        for (Thread t : waiting) {
            LockSupport.unpark(t);
        }
    }

    public boolean isCancelled() {
        return state.get() == CANCELLED;
    }


    /** Nanoseconds the call may still wait: 0 once expired or cancelled; Long.MAX_VALUE without a deadline. */
    public long remainingNanos() {
        if (state.get() != LIVE) {
            return 0;
        }
        return bounded ? Math.max(0, deadline - System.nanoTime()) : Long.MAX_VALUE;
    }

    /** How long a wait whose own bound is {@code ownNanos} may last for this call: the shorter. */
    public long waitNanos(long ownNanos) {
        return Math.min(ownNanos, remainingNanos());
    }

    /**
     * Whether the call, not the wait's own bound {@code ownNanos} (measured from
     * {@code startNanos}), is what ended a wait that ran out: for the error's message and errno.
     */
    public boolean endedBefore(long startNanos, long ownNanos) {
        int s = state.get();
        return s != LIVE || bounded && deadline - startNanos < ownNanos;
    }

    /**
     * Registers the calling thread to be unparked when the call ends early; close it when the
     * wait is over. Register before checking {@link #isCancelled} (see "Waking without blocking").
     */
    public Registration wakeOnCancel() {
        if (this == NONE) {
            return Registration.NOTHING;
        }
        Thread me = Thread.currentThread();
        waiting.add(me);
        return () -> waiting.remove(me);
    }

    /** Threads registered now (for tests: the waiter list is clean after every wait). */
    public int registeredWaiters() {
        return waiting.size();
    }

    /** The error of a wait the call cancelled: EINTR, having changed nothing. */
    public ErrnoException cancelled(String waitingFor) {
        return new ErrnoException(Errno.EINTR, "the call was cancelled while waiting for " + waitingFor);
    }

    /** The error of a wait the call's deadline ended: ETIMEDOUT, having changed nothing. */
    public ErrnoException deadlinePassed(String waitingFor) {
        return new ErrnoException(Errno.ETIMEDOUT, "the call's deadline passed while waiting for " + waitingFor);
    }

    /**
     * The error of a wait the call ended, read from its state now: {@code EINTR} if it was
     * cancelled, else {@code ETIMEDOUT}. A waiter that checked {@link #isCancelled} and then
     * found {@link #remainingNanos} at 0 must ask here, not assume the deadline: the
     * cancellation may have landed between its two reads.
     */
    public ErrnoException ended(String waitingFor) {
        return isCancelled() ? cancelled(waitingFor) : deadlinePassed(waitingFor);
    }

    /** A registration from {@link #wakeOnCancel}. */
    public interface Registration extends AutoCloseable {
        Registration NOTHING = () -> { };

        @Override
        void close();
    }

    @Override
    public String toString() {
        int s = state.get();
        return this == NONE ? "CallBudget[none]"
                : "CallBudget[" + (s == CANCELLED ? "cancelled" : s == EXPIRED ? "expired"
                        : bounded ? (remainingNanos() / 1_000_000) + " ms left" : "no deadline") + "]";
    }
}
