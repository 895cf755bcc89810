package io.blockhaus.engine.cache;

import java.util.concurrent.locks.AbstractQueuedSynchronizer;

/**
 * The page lock, built into the page: a non-fair reentrant mutex with exactly
 * {@link java.util.concurrent.locks.ReentrantLock}'s rules (the same
 * {@link AbstractQueuedSynchronizer}, the same acquire and release), inherited by {@link Page}
 * instead of held by it.
 *
 * <p><b>Why.</b> A {@code ReentrantLock} field made a page three objects: the {@code Page}, the
 * lock, and the lock's {@code NonfairSync}, which holds the state. Reclaim's hand visits pages
 * it has not touched for a whole lap, and with a large cache all three are cold in the CPU
 * caches, so an eviction read three scattered objects where one would do. As the page's
 * superclass the lock is four fields of the page itself (AQS's state, queue head and tail, and
 * the owner thread), read with the flags reclaim reads anyway, and a frame carries two objects
 * (48 B) less. AQS makes wait-queue nodes only when a thread actually waits. Measured (under
 * load, docs/benchmarks/pagelock-2026-12-06.md), the full-budget miss at 4 GiB got no cheaper
 * beyond the noise: the two objects were not what keeps it above the ceiling, and the change
 * stays as the simpler layout that costs nothing.
 *
 * <p><b>What is the same</b>, and why the swap is safe: {@link #tryLockOnce} is
 * {@code ReentrantLock.tryLock()} (barging: takes a free lock even if others queue; reentrant
 * for its owner; {@link Error} past {@code Integer.MAX_VALUE} holds), {@link #tryLockNanos} is
 * the non-fair lock's {@code tryLock(timeout, unit)} (a first barging try, then AQS's
 * {@code tryAcquireNanos} over the same {@link #tryAcquire}; interruptible, as it is),
 * {@link #unlockOnce} is {@code unlock()} ({@link IllegalMonitorStateException} to a thread
 * that does not hold it, and a waiter woken at the last release). The state is the hold count;
 * the owner is AQS's own field, written by the owner before the releasing {@code setState} (a
 * volatile write) and read by other threads only after reading the state, so the owner test
 * needs no more ordering than ReentrantLock's has. The engine never used the rest of
 * {@code ReentrantLock} (no {@code lockInterruptibly}, no {@code Condition}, no fairness): the
 * page's own {@link Page#lock} is a bounded loop over {@link #tryLockNanos}, or a wait in the
 * engine's {@code ReleaseWaits} over {@link #tryLockOnce}.
 *
 * <p>AQS's own public methods ({@code acquire}, {@code release}, queue inspection) are visible
 * on a page through this superclass, the price of saving the objects; nothing outside this
 * package calls them (the engine locks pages only through {@link Page}'s methods), and nothing
 * in it may either: {@link Page#unlock} is where the last release frees a removed page.
 */
abstract class PageLock extends AbstractQueuedSynchronizer {
    PageLock() {
    }

    /** Takes the lock if it is free or already the caller's; never waits. */
    final boolean tryLockOnce() {
        return tryAcquire(1);
    }

    /** {@link #tryLockOnce}, else waits up to {@code nanos} for it; interruptible as ReentrantLock's. */
    final boolean tryLockNanos(long nanos) throws InterruptedException {
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
        return tryAcquire(1) || tryAcquireNanos(1, nanos);
    }

    /** Gives back one hold; the last one frees the lock and wakes a waiter. */
    final void unlockOnce() {
        release(1);
    }

    /** How many holds the calling thread has: 0 if it does not own the lock. */
    final int holdCount() {
        return isHeldExclusively() ? getState() : 0;
    }

    final boolean heldByMe() {
        return isHeldExclusively();
    }

    @Override
    protected final boolean tryAcquire(int acquires) {
        Thread me = Thread.currentThread();
        int c = getState();
        if (c == 0) {
            if (compareAndSetState(0, acquires)) {
                setExclusiveOwnerThread(me);
                return true;
            }
        } else if (getExclusiveOwnerThread() == me) {
            int next = c + acquires;
            if (next < 0) {
                throw new Error("Maximum lock count exceeded");
            }
            setState(next); // the owner's own field: no CAS needed
            return true;
        }
        return false;
    }

    @Override
    protected final boolean tryRelease(int releases) {
        if (getExclusiveOwnerThread() != Thread.currentThread()) {
            throw new IllegalMonitorStateException();
        }
        int c = getState() - releases;
        boolean free = c == 0;
        if (free) {
            setExclusiveOwnerThread(null); // before the volatile write that publishes the release
        }
        setState(c);
        return free;
    }

    @Override
    protected final boolean isHeldExclusively() {
        return getExclusiveOwnerThread() == Thread.currentThread();
    }
}
