package io.blockhaus.engine.lock;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One request on a {@link RangeLock}: a waiter until granted, then a holder and the caller's
 * {@link PagecacheLock.Hold}. A newcomer reading the range lock meets three things, each in its
 * own class: this node (what one request is), the {@link RangeLockTable} (who holds and who
 * waits, and who may proceed) and the {@link RangeLock} itself (the mutex protocol, waiting,
 * the listener).
 *
 * <p>The node is intrusive: its {@link RangeTree} links and augmentation are its own fields, so
 * linking it costs no allocation, and it sits in at most one tree at a time (waiters of its mode,
 * then holders of its mode). Every field but {@link #closed} and the {@link WaitNode} hand-off
 * fields is guarded by the lock's mutex, or written before the node is published to anyone.
 */
final class RangeHold extends WaitNode implements PagecacheLock.Hold {
    private static final VarHandle CLOSED;

    static {
        try {
            CLOSED = MethodHandles.lookup().findVarHandle(RangeHold.class, "closed", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

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

    /** True for the first close only: the hold is released once, and a second close is a caller's bug. */
    boolean markClosed() {
        return CLOSED.compareAndSet(this, false, true);
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
