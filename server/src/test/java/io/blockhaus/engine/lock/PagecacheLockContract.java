package io.blockhaus.engine.lock;

import static io.blockhaus.engine.lock.LockTestSupport.LONG_TIMEOUT;
import static io.blockhaus.engine.lock.LockTestSupport.awaitUntil;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.blockhaus.engine.call.CallBudget;
import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import io.blockhaus.engine.lock.PagecacheLock.Hold;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What every {@link PagecacheLock} policy must do. All requests here use the same page range, so
 * the range policy conflicts exactly where the two-state one does; each policy's own behaviour is
 * tested in its subclass.
 */
abstract class PagecacheLockContract {
    static final long FIRST = 0;
    static final long END = 10;

    private final List<Actor<?>> actors = new ArrayList<>();

    abstract LockPolicy policy();

    PagecacheLock newLock(LockListener listener) {
        return PagecacheLock.create(policy(), listener);
    }

    PagecacheLock newLock() {
        return newLock(LockListener.NONE);
    }

    /** Registers a thread so that a failing test cannot leave it parked. */
    <T> Actor<T> track(Actor<T> actor) {
        actors.add(actor);
        return actor;
    }

    Hold hold(PagecacheLock lock, LockMode mode) {
        return lock.acquire(mode, FIRST, END, LONG_TIMEOUT);
    }

    /**
     * A hold taken by another thread and handed to the caller (who closes it): for tests in which
     * the caller then waits for the other mode, which from the holder's own thread is EDEADLOCK.
     */
    Hold holdElsewhere(PagecacheLock lock, LockMode mode) {
        try {
            return track(Actor.start("holder-" + mode, () -> hold(lock, mode))).join();
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    @AfterEach
    void stopActors() {
        actors.forEach(Actor::stop);
        Thread.interrupted(); // a test that interrupts itself must not leak the flag
    }

    static void assertIdle(PagecacheLock lock) {
        for (LockMode m : LockMode.values()) {
            assertThat(lock.holders(m)).as("holders(%s) of %s", m, lock).isZero();
            assertThat(lock.waiters(m)).as("waiters(%s) of %s", m, lock).isZero();
        }
    }

    static Errno errnoOf(Throwable t) {
        assertThat(t).isInstanceOf(ErrnoException.class);
        return ((ErrnoException) t).errno();
    }

    @Test
    void reportsItsPolicy() {
        assertThat(newLock().policy()).isEqualTo(policy());
    }

    @ParameterizedTest
    @EnumSource(LockMode.class)
    void holdersShareAMode(LockMode mode) {
        PagecacheLock lock = newLock();
        try (Hold a = lock.acquire(mode, FIRST, END, LONG_TIMEOUT);
             Hold b = lock.acquire(mode, FIRST, END, LONG_TIMEOUT);
             Hold c = lock.tryAcquire(mode, FIRST, END)) {
            assertThat(c).isNotNull();
            assertThat(a.mode()).isEqualTo(mode);
            assertThat(lock.holders(mode)).isEqualTo(3);
            assertThat(lock.holders(mode.other())).isZero();
        }
        assertIdle(lock);
    }

    @ParameterizedTest
    @EnumSource(LockMode.class)
    void modesExcludeEachOther(LockMode held) throws Throwable {
        PagecacheLock lock = newLock();
        Hold h = lock.acquire(held, FIRST, END, LONG_TIMEOUT);
        CountDownLatch acquired = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Actor<LockMode> other = track(Actor.holder(lock, held.other(), FIRST, END, acquired, release));

        awaitUntil("the other mode is queued", () -> lock.waiters(held.other()) == 1);
        assertThat(acquired.getCount()).as("granted while %s is held", held).isEqualTo(1);
        assertThat(lock.holders(held.other())).isZero();

        h.close();
        assertThat(acquired.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(lock.holders(held.other())).isEqualTo(1);
        assertThat(lock.holders(held)).isZero();
        assertThat(lock.tryAcquire(held, FIRST, END)).as("tryAcquire against the other mode").isNull();
        release.countDown();
        assertThat(other.join()).isEqualTo(held.other());
        assertIdle(lock);
    }

    @ParameterizedTest
    @EnumSource(LockMode.class)
    void timeoutIsEtimedoutAndLeavesNoTrace(LockMode mode) {
        PagecacheLock lock = newLock();
        Hold h = holdElsewhere(lock, mode.other());

        assertThatThrownBy(() -> lock.acquire(mode, FIRST, END, TimeUnit.MILLISECONDS.toNanos(20)))
                .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ETIMEDOUT));

        assertThat(lock.waiters(mode)).isZero();
        assertThat(lock.holders(mode)).isZero();
        // A leftover waiter would hold back new holders of the held mode (fairness): none may.
        try (Hold again = lock.tryAcquire(mode.other(), FIRST, END)) {
            assertThat(again).isNotNull();
        }
        h.close();
        try (Hold now = lock.tryAcquire(mode, FIRST, END)) {
            assertThat(now).isNotNull();
        }
        assertIdle(lock);
    }

    @ParameterizedTest
    @EnumSource(LockMode.class)
    void zeroTimeoutFailsAtOnceWhenContendedAndSucceedsWhenFree(LockMode mode) {
        PagecacheLock lock = newLock();
        try (Hold free = lock.acquire(mode, FIRST, END, 0)) {
            assertThat(free.mode()).isEqualTo(mode);
        }
        Hold h = holdElsewhere(lock, mode.other());
        assertThatThrownBy(() -> lock.acquire(mode, FIRST, END, 0))
                .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ETIMEDOUT));
        h.close();
        assertIdle(lock);
    }

    @ParameterizedTest
    @EnumSource(LockMode.class)
    void interruptWhileWaitingIsEintrWithFlagKept(LockMode mode) throws Throwable {
        PagecacheLock lock = newLock();
        Hold h = hold(lock, mode.other());
        Actor<String> waiter = track(Actor.start("waiter", () -> {
            try (Hold ignored = lock.acquire(mode, FIRST, END, LONG_TIMEOUT)) {
                return "acquired";
            } catch (ErrnoException e) {
                return e.errno() + " interrupted=" + Thread.currentThread().isInterrupted();
            }
        }));
        awaitUntil("the waiter is queued", () -> lock.waiters(mode) == 1);
        waiter.interrupt();
        assertThat(waiter.join()).isEqualTo("EINTR interrupted=true");
        assertThat(lock.waiters(mode)).isZero();
        h.close();
        assertIdle(lock);
    }

    @ParameterizedTest
    @EnumSource(LockMode.class)
    void cancellingTheCallWakesTheWaiterWithCancelledAndLeavesNoTrace(LockMode mode) throws Throwable {
        RecordingListener listener = new RecordingListener(false);
        PagecacheLock lock = newLock(listener);
        Hold h = hold(lock, mode.other());
        CallBudget call = CallBudget.unbounded();
        Actor<String> waiter = track(Actor.start("waiter", () -> {
            try (Hold ignored = lock.acquire(mode, FIRST, END, LONG_TIMEOUT, call)) {
                return "acquired";
            } catch (ErrnoException e) {
                return e.errno() + " interrupted=" + Thread.currentThread().isInterrupted();
            }
        }));
        awaitUntil("the waiter is queued", () -> lock.waiters(mode) == 1 && call.registeredWaiters() == 1);
        call.cancel(); // from this thread: only unparks, so it returns at once whatever the lock does
        assertThat(waiter.join()).as("EINTR, no interrupt involved").isEqualTo("EINTR interrupted=false");
        assertThat(lock.waiters(mode)).isZero();
        assertThat(lock.holders(mode.other())).as("the holder is untouched").isEqualTo(1);
        assertThat(call.registeredWaiters()).as("the call's waiter list is clean").isZero();
        assertThat(listener.shapes()).contains("failed " + mode + " " + policy() + " CANCELLED");
        // The cancelled waiter no longer holds back the held mode (fairness): more may join it.
        try (Hold again = lock.tryAcquire(mode.other(), FIRST, END)) {
            assertThat(again).isNotNull();
        }
        h.close();
        assertIdle(lock);
    }

    @ParameterizedTest
    @EnumSource(LockMode.class)
    void aCallsDeadlineShorterThanTheTimeoutEndsTheWaitWithEtimedout(LockMode mode) {
        RecordingListener listener = new RecordingListener(false);
        PagecacheLock lock = newLock(listener);
        Hold h = holdElsewhere(lock, mode.other());
        CallBudget call = CallBudget.within(TimeUnit.MILLISECONDS.toNanos(50));
        long start = System.nanoTime();
        assertThatThrownBy(() -> lock.acquire(mode, FIRST, END, LONG_TIMEOUT, call))
                .isInstanceOfSatisfying(ErrnoException.class, e -> {
                    assertThat(e.errno()).isEqualTo(Errno.ETIMEDOUT);
                    assertThat(e.getMessage()).contains("the call's deadline");
                });
        assertThat(System.nanoTime() - start).as("the call's deadline, not the lock's 30 s")
                .isLessThan(LONG_TIMEOUT / 3);
        assertThat(listener.shapes()).contains("failed " + mode + " " + policy() + " TIMEOUT");
        assertThat(lock.waiters(mode)).isZero();
        assertThat(call.registeredWaiters()).isZero();
        h.close();
        assertIdle(lock);
    }

    @ParameterizedTest
    @EnumSource(LockMode.class)
    void anEndedCallIsRefusedBeforeQueueingButAFreeLockIsStillGranted(LockMode mode) {
        PagecacheLock lock = newLock();
        CallBudget cancelled = CallBudget.unbounded();
        cancelled.cancel();
        CallBudget expired = CallBudget.unbounded();
        expired.expire();
        try (Hold free = lock.acquire(mode, FIRST, END, LONG_TIMEOUT, cancelled)) {
            assertThat(free.mode()).as("an admitted caller never looks at its call").isEqualTo(mode);
        }
        Hold h = holdElsewhere(lock, mode.other());
        assertThatThrownBy(() -> lock.acquire(mode, FIRST, END, LONG_TIMEOUT, cancelled))
                .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINTR));
        assertThatThrownBy(() -> lock.acquire(mode, FIRST, END, LONG_TIMEOUT, expired))
                .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ETIMEDOUT));
        assertThat(lock.waiters(mode)).isZero();
        h.close();
        assertIdle(lock);
    }

    @ParameterizedTest
    @EnumSource(LockMode.class)
    void alreadyInterruptedCallerThatMustWaitGetsEintr(LockMode mode) {
        PagecacheLock lock = newLock();
        Hold h = holdElsewhere(lock, mode.other());
        Thread.currentThread().interrupt();
        assertThatThrownBy(() -> lock.acquire(mode, FIRST, END, LONG_TIMEOUT))
                .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINTR));
        assertThat(Thread.interrupted()).as("interrupt flag kept").isTrue();
        h.close();
        assertIdle(lock);
    }

    @ParameterizedTest
    @EnumSource(LockMode.class)
    void tryAcquireFailsOnConflictAndOnAWaitingOtherMode(LockMode mode) throws Throwable {
        PagecacheLock lock = newLock();
        Hold h = hold(lock, mode);
        assertThat(lock.tryAcquire(mode.other(), FIRST, END)).as("conflicting holder").isNull();

        CountDownLatch acquired = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Actor<LockMode> other = track(Actor.holder(lock, mode.other(), FIRST, END, acquired, release));
        awaitUntil("the other mode is queued", () -> lock.waiters(mode.other()) == 1);

        assertThat(lock.tryAcquire(mode, FIRST, END))
                .as("joining the held mode past a waiter of the other mode").isNull();
        assertThat(lock.holders(mode)).isEqualTo(1);

        h.close();
        release.countDown();
        assertThat(other.join()).isEqualTo(mode.other());
        assertIdle(lock);
    }

    @ParameterizedTest
    @EnumSource(LockMode.class)
    void closingTwiceThrowsAndReleasesOnce(LockMode mode) {
        PagecacheLock lock = newLock();
        Hold keep = lock.acquire(mode, FIRST, END, LONG_TIMEOUT);
        Hold h = lock.acquire(mode, FIRST, END, LONG_TIMEOUT);
        h.close();
        assertThatThrownBy(h::close).isInstanceOf(IllegalStateException.class);
        assertThat(lock.holders(mode)).isEqualTo(1);
        keep.close();
        assertIdle(lock);
    }

    @Test
    void rejectsBadArguments() {
        PagecacheLock lock = newLock();
        assertThatThrownBy(() -> lock.acquire(LockMode.ADD, 5, 5, LONG_TIMEOUT)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> lock.acquire(LockMode.ADD, -1, 5, LONG_TIMEOUT)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> lock.tryAcquire(LockMode.BLOCK, 7, 3)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> lock.acquire(null, 0, 1, LONG_TIMEOUT)).isInstanceOf(NullPointerException.class);
        assertIdle(lock);
    }

    // ---- waiting for oneself: EDEADLOCK at once (DESIGN.md rule 2's safety net) ----------------

    /** Far below {@link LockTestSupport#LONG_TIMEOUT}: a refusal that waited for the timeout fails it. */
    private static final long AT_ONCE = TimeUnit.SECONDS.toNanos(5);

    /**
     * Closes {@code h}, whose release lets {@code waiter} in; checks it got in, lets it go
     * ({@code out}) and returns the mode it held.
     */
    static LockMode releaseAndLetIn(Hold h, CountDownLatch in, CountDownLatch out, Actor<LockMode> waiter)
            throws Throwable {
        h.close();
        assertThat(in.await(10, TimeUnit.SECONDS)).as("the waiter got in").isTrue();
        out.countDown();
        return waiter.join();
    }

    static Errno refusal(Runnable r) {
        long start = System.nanoTime();
        Throwable t = org.assertj.core.api.Assertions.catchThrowable(r::run);
        assertThat(System.nanoTime() - start).as("refused without waiting out the timeout").isLessThan(AT_ONCE);
        return errnoOf(t);
    }

    @Test
    void blockHolderAskingForAddOnItsRangeGetsEdeadlockAtOnce() {
        RecordingListener listener = new RecordingListener(false);
        PagecacheLock lock = newLock(listener);
        Hold block = hold(lock, LockMode.BLOCK);
        listener.clear();

        assertThat(refusal(() -> lock.acquire(LockMode.ADD, FIRST, END, LONG_TIMEOUT))).isEqualTo(Errno.EDEADLOCK);
        assertThat(refusal(() -> lock.acquire(LockMode.ADD, END - 1, END + 5, LONG_TIMEOUT)))
                .as("overlapping the last page").isEqualTo(Errno.EDEADLOCK);
        assertThat(listener.shapes()).containsExactly(
                "failed ADD " + policy() + " EDEADLOCK", "failed ADD " + policy() + " EDEADLOCK");
        assertThat(lock.holders(LockMode.BLOCK)).as("the refusal changed nothing").isEqualTo(1);
        assertThat(lock.waiters(LockMode.ADD)).isZero();
        assertThat(lock.tryAcquire(LockMode.ADD, FIRST, END)).as("a try only fails, it never waits").isNull();
        block.close();
        try (Hold add = hold(lock, LockMode.ADD)) {
            assertThat(add.mode()).as("once BLOCK is released, the same thread gets ADD").isEqualTo(LockMode.ADD);
        }
        assertIdle(lock);
    }

    @Test
    void blockHolderAskingForBlockAgainBehindAnAddWaiterGetsEdeadlock() throws Throwable {
        PagecacheLock lock = newLock();
        Hold block = hold(lock, LockMode.BLOCK);
        CountDownLatch in = new CountDownLatch(1);
        CountDownLatch out = new CountDownLatch(1);
        Actor<LockMode> adder = track(Actor.holder(lock, LockMode.ADD, FIRST, END, in, out));
        awaitUntil("ADD queued", () -> lock.waiters(LockMode.ADD) == 1);

        // The ADD waits for our BLOCK; fairness puts a second BLOCK behind the ADD.
        assertThat(refusal(() -> lock.acquire(LockMode.BLOCK, FIRST, END, LONG_TIMEOUT))).isEqualTo(Errno.EDEADLOCK);

        assertThat(releaseAndLetIn(block, in, out, adder)).isEqualTo(LockMode.ADD);
        assertIdle(lock);
    }

    @Test
    void anotherThreadWaitingForTheSameHoldTimesOutAsUsual() throws Throwable {
        PagecacheLock lock = newLock();
        Hold block = hold(lock, LockMode.BLOCK);
        Actor<Errno> other = track(Actor.start("other", () -> {
            try {
                lock.acquire(LockMode.ADD, FIRST, END, TimeUnit.MILLISECONDS.toNanos(20)).close();
                return null;
            } catch (ErrnoException e) {
                return e.errno();
            }
        }));
        assertThat(other.join()).as("only the holder's own thread is refused").isEqualTo(Errno.ETIMEDOUT);
        block.close();
        assertIdle(lock);
    }

    @Test
    void aHoldClosedByAnotherThreadNoLongerCountsForItsAcquirer() throws Throwable {
        PagecacheLock lock = newLock();
        Hold block = hold(lock, LockMode.BLOCK);
        Actor<Boolean> closer = track(Actor.start("closer", () -> {
            block.close();
            return true;
        }));
        assertThat(closer.join()).isTrue();
        try (Hold add = lock.acquire(LockMode.ADD, FIRST, END, LONG_TIMEOUT)) {
            assertThat(add.mode()).isEqualTo(LockMode.ADD);
        }
        assertIdle(lock);
    }

    @Test
    void untimedListenerSeesEveryOutcomeWithZeroTimes() throws Throwable {
        RecordingListener listener = new RecordingListener(false);
        PagecacheLock lock = newLock(listener);
        LockPolicy p = policy();

        lock.acquire(LockMode.ADD, FIRST, END, LONG_TIMEOUT).close();
        assertThat(listener.shapes()).containsExactly("acquired ADD " + p + " contended=false", "released ADD " + p);
        assertThat(listener.events()).allSatisfy(e -> assertThat(e.nanos()).isZero());
        listener.clear();

        // contended: a BLOCK waits for an ADD holder
        Hold add = lock.acquire(LockMode.ADD, FIRST, END, LONG_TIMEOUT);
        Actor<Boolean> blocker = track(Actor.start("blocker", () -> {
            lock.acquire(LockMode.BLOCK, FIRST, END, LONG_TIMEOUT).close();
            return true;
        }));
        awaitUntil("BLOCK queued", () -> lock.waiters(LockMode.BLOCK) == 1);
        add.close();
        assertThat(blocker.join()).isTrue();
        // The releaser reports after handing off, so the whole BLOCK hold may come before it.
        assertThat(listener.shapes()).startsWith("acquired ADD " + p + " contended=false")
                .containsExactlyInAnyOrder(
                        "acquired ADD " + p + " contended=false", "released ADD " + p,
                        "acquired BLOCK " + p + " contended=true", "released BLOCK " + p);
        listener.clear();

        // timeout, interrupt, deadlock refusal
        Hold block = holdElsewhere(lock, LockMode.BLOCK);
        assertThatThrownBy(() -> lock.acquire(LockMode.ADD, FIRST, END, 1_000_000)).isInstanceOf(ErrnoException.class);
        Actor<Errno> interrupted = track(Actor.start("interrupted", () -> {
            try {
                lock.acquire(LockMode.ADD, FIRST, END, LONG_TIMEOUT).close();
                return null;
            } catch (ErrnoException e) {
                return e.errno();
            }
        }));
        awaitUntil("ADD queued", () -> lock.waiters(LockMode.ADD) == 1);
        interrupted.interrupt();
        assertThat(interrupted.join()).isEqualTo(Errno.EINTR);
        lock.reportDeadlock(LockMode.ADD);
        block.close();
        assertThat(listener.shapes()).containsExactly(
                "acquired BLOCK " + p + " contended=false",
                "failed ADD " + p + " TIMEOUT",
                "failed ADD " + p + " INTERRUPTED",
                "failed ADD " + p + " EDEADLOCK",
                "released BLOCK " + p);
        assertIdle(lock);
    }

    @Test
    void timedListenerGetsWaitAndHoldTimes() throws Throwable {
        RecordingListener listener = new RecordingListener(true);
        PagecacheLock lock = newLock(listener);
        long timeout = TimeUnit.MILLISECONDS.toNanos(5);

        Hold block = holdElsewhere(lock, LockMode.BLOCK);
        assertThatThrownBy(() -> lock.acquire(LockMode.ADD, FIRST, END, timeout)).isInstanceOf(ErrnoException.class);
        Actor<Boolean> adder = track(Actor.start("adder", () -> {
            lock.acquire(LockMode.ADD, FIRST, END, LONG_TIMEOUT).close();
            return true;
        }));
        awaitUntil("ADD queued", () -> lock.waiters(LockMode.ADD) == 1);
        block.close();
        assertThat(adder.join()).isTrue();

        List<RecordingListener.Event> events = listener.events();
        assertThat(events).extracting(RecordingListener.Event::shape).containsExactlyInAnyOrder(
                "acquired BLOCK " + policy() + " contended=false",
                "failed ADD " + policy() + " TIMEOUT",
                "released BLOCK " + policy(),
                "acquired ADD " + policy() + " contended=true",
                "released ADD " + policy());
        assertThat(nanosOf(events, "failed ADD")).as("failed wait covers the timeout").isGreaterThanOrEqualTo(timeout);
        assertThat(nanosOf(events, "released BLOCK")).as("BLOCK hold covers the failed wait").isGreaterThanOrEqualTo(timeout);
        assertThat(nanosOf(events, "acquired ADD")).as("contended wait").isPositive();
        assertThat(events).allSatisfy(e -> assertThat(e.nanos()).isNotNegative());
    }

    private static long nanosOf(List<RecordingListener.Event> events, String prefix) {
        return events.stream().filter(e -> e.shape().startsWith(prefix)).findFirst().orElseThrow().nanos();
    }

    @Test
    void throwingListenerDoesNotBreakTheLock() throws Throwable {
        LockListener thrower = new LockListener() {
            @Override
            public void acquired(LockMode mode, LockPolicy policy, long waitNanos, boolean contended) {
                throw new IllegalStateException("acquired");
            }

            @Override
            public void released(LockMode mode, LockPolicy policy, long holdNanos) {
                throw new IllegalStateException("released");
            }

            @Override
            public void failed(LockMode mode, LockPolicy policy, long waitNanos, LockOutcome outcome) {
                throw new AssertionError("failed");
            }

            @Override
            public boolean timed() {
                throw new IllegalStateException("timed");
            }
        };
        PagecacheLock lock = newLock(thrower);

        Hold add = holdElsewhere(lock, LockMode.ADD);
        assertThatThrownBy(() -> lock.acquire(LockMode.BLOCK, FIRST, END, 1_000_000))
                .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ETIMEDOUT));
        Actor<LockMode> blocker = track(Actor.start("blocker", () -> {
            try (Hold b = lock.acquire(LockMode.BLOCK, FIRST, END, LONG_TIMEOUT)) {
                return b.mode();
            }
        }));
        awaitUntil("BLOCK queued", () -> lock.waiters(LockMode.BLOCK) == 1);
        add.close();
        assertThat(blocker.join()).isEqualTo(LockMode.BLOCK);
        lock.reportDeadlock(LockMode.ADD);
        assertIdle(lock);
        try (Hold again = lock.tryAcquire(LockMode.ADD, FIRST, END)) {
            assertThat(again).isNotNull();
        }
        assertIdle(lock);
    }
}
