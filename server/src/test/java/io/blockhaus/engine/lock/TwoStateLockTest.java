package io.blockhaus.engine.lock;

import static io.blockhaus.engine.lock.LockTestSupport.LONG_TIMEOUT;
import static io.blockhaus.engine.lock.LockTestSupport.awaitUntil;
import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.engine.lock.PagecacheLock.Hold;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The contract, plus the phase-fair hand-off that only the two-state policy promises. */
class TwoStateLockTest extends PagecacheLockContract {
    @Override
    LockPolicy policy() {
        return LockPolicy.TWO_STATE;
    }

    @ParameterizedTest
    @EnumSource(LockMode.class)
    void rangesAreIgnored(LockMode mode) {
        PagecacheLock lock = newLock();
        try (Hold h = lock.acquire(mode, 0, 1, LONG_TIMEOUT)) {
            assertThat(lock.tryAcquire(mode.other(), 1_000, Long.MAX_VALUE)).as("disjoint range still conflicts").isNull();
        }
        assertIdle(lock);
    }

    @ParameterizedTest
    @EnumSource(LockMode.class)
    void lastReleaseGrantsAllWaitersOfTheOtherModeAsOneBatch(LockMode held) throws Throwable {
        PagecacheLock lock = newLock();
        Hold h = lock.acquire(held, 0, 1, LONG_TIMEOUT);
        int n = 3;
        CountDownLatch allIn = new CountDownLatch(n);
        CountDownLatch release = new CountDownLatch(1);
        List<Actor<LockMode>> waiters = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            waiters.add(track(Actor.holder(lock, held.other(), 0, 1, allIn, release)));
        }
        awaitUntil("all queued", () -> lock.waiters(held.other()) == n);

        h.close();
        // They hold it together: none releases before all are in.
        assertThat(allIn.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(lock.holders(held.other())).isEqualTo(n);
        release.countDown();
        for (Actor<LockMode> w : waiters) {
            assertThat(w.join()).isEqualTo(held.other());
        }
        assertIdle(lock);
    }

    /**
     * An event loop's release of its tried ADD, when a BLOCK waiter queued meanwhile, is the
     * hand-off; it must not wait for the mutex (issue 11 item 1). Here another thread holds the
     * mutex until the release has returned (a release that waited would never return: the
     * timeout fails it), and the hand-off happens when that holder leaves the mutex.
     */
    @ParameterizedTest
    @EnumSource(LockMode.class)
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aLastReleaseNeverWaitsForTheMutexAndItsHolderHandsOff(LockMode held) throws Throwable {
        TwoStateLock lock = (TwoStateLock) newLock();
        Hold h = lock.tryAcquire(held, 0, 1);
        assertThat(h).isNotNull();
        CountDownLatch in = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Actor<LockMode> waiter = track(Actor.holder(lock, held.other(), 0, 1, in, release));
        awaitUntil("queued", () -> lock.waiters(held.other()) == 1);
        CountDownLatch taken = new CountDownLatch(1);
        CountDownLatch letGo = new CountDownLatch(1);
        Thread holder = Thread.ofPlatform().name("mutex-holder").start(() -> lock.holdMutexForTests(() -> {
            taken.countDown();
            try {
                letGo.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }));
        taken.await();

        h.close(); // the last release, with the mutex held elsewhere: returns at once
        assertThat(in.getCount()).as("not handed off yet: the mutex's holder does it").isEqualTo(1);
        letGo.countDown();
        holder.join();
        assertThat(in.await(10, TimeUnit.SECONDS)).as("handed off when the holder left the mutex").isTrue();
        release.countDown();
        assertThat(waiter.join()).isEqualTo(held.other());
        assertIdle(lock);
    }

    @ParameterizedTest
    @EnumSource(LockMode.class)
    void phasesAlternateWhileBothModesWait(LockMode held) throws Throwable {
        PagecacheLock lock = newLock();
        LockMode other = held.other();
        Hold h = lock.acquire(held, 0, 1, LONG_TIMEOUT);

        CountDownLatch otherIn = new CountDownLatch(1);
        CountDownLatch otherGo = new CountDownLatch(1);
        Actor<LockMode> first = track(Actor.holder(lock, other, 0, 1, otherIn, otherGo));
        awaitUntil("other mode queued", () -> lock.waiters(other) == 1);

        // Same mode as the holder, but it must queue behind the waiting other mode.
        CountDownLatch sameIn = new CountDownLatch(1);
        CountDownLatch sameGo = new CountDownLatch(1);
        Actor<LockMode> second = track(Actor.holder(lock, held, 0, 1, sameIn, sameGo));
        awaitUntil("same mode queued", () -> lock.waiters(held) == 1);
        assertThat(lock.holders(held)).isEqualTo(1);

        h.close();
        assertThat(otherIn.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(lock.waiters(held)).as("still held back while the other phase runs").isEqualTo(1);
        assertThat(sameIn.getCount()).isEqualTo(1);

        otherGo.countDown();
        assertThat(first.join()).isEqualTo(other);
        assertThat(sameIn.await(10, TimeUnit.SECONDS)).isTrue();
        sameGo.countDown();
        assertThat(second.join()).isEqualTo(held);
        assertIdle(lock);
    }

    @ParameterizedTest
    @EnumSource(LockMode.class)
    void waiterGivingUpLetsInThoseItHeldBack(LockMode held) throws Throwable {
        PagecacheLock lock = newLock();
        Hold h = lock.acquire(held, 0, 1, LONG_TIMEOUT);
        Actor<String> blocker = track(Actor.start("gives-up", () -> {
            try (Hold ignored = lock.acquire(held.other(), 0, 1, LONG_TIMEOUT)) {
                return "acquired";
            } catch (io.blockhaus.engine.errno.ErrnoException e) {
                return e.errno().name();
            }
        }));
        awaitUntil("other mode queued", () -> lock.waiters(held.other()) == 1);
        CountDownLatch in = new CountDownLatch(1);
        CountDownLatch go = new CountDownLatch(1);
        Actor<LockMode> joiner = track(Actor.holder(lock, held, 0, 1, in, go));
        awaitUntil("joiner queued", () -> lock.waiters(held) == 1);

        blocker.interrupt();
        assertThat(blocker.join()).isEqualTo("EINTR");
        // The joiner gets in although the first holder never released.
        assertThat(in.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(lock.holders(held)).isEqualTo(2);
        go.countDown();
        assertThat(joiner.join()).isEqualTo(held);
        h.close();
        assertIdle(lock);
    }
}
