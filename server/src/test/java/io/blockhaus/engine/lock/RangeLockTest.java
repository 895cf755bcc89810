package io.blockhaus.engine.lock;

import static io.blockhaus.engine.lock.LockTestSupport.LONG_TIMEOUT;
import static io.blockhaus.engine.lock.LockTestSupport.awaitUntil;
import static org.assertj.core.api.Assertions.assertThat;
import static io.blockhaus.engine.lock.PagecacheLockContract.refusal;
import static io.blockhaus.engine.lock.PagecacheLockContract.releaseAndLetIn;

import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.lock.PagecacheLock.Hold;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The contract, plus what only the range policy does: conflicts and fairness limited to overlaps. */
class RangeLockTest extends PagecacheLockContract {
    static final long END_OF_VOLUME = Long.MAX_VALUE;

    @Override
    LockPolicy policy() {
        return LockPolicy.RANGE;
    }

    @ParameterizedTest
    @EnumSource(LockMode.class)
    void disjointRangesOfBothModesCoexist(LockMode mode) {
        PagecacheLock lock = newLock();
        try (Hold a = lock.acquire(mode, 0, 10, LONG_TIMEOUT);
             Hold b = lock.tryAcquire(mode.other(), 10, 20);
             Hold c = lock.acquire(mode.other(), 20, END_OF_VOLUME, 0)) {
            assertThat(b).isNotNull();
            assertThat(c.mode()).isEqualTo(mode.other());
            assertThat(lock.holders(mode)).isEqualTo(1);
            assertThat(lock.holders(mode.other())).isEqualTo(2);
        }
        assertIdle(lock);
    }

    @ParameterizedTest
    @EnumSource(LockMode.class)
    void overlappingRangesOfOtherModeExclude(LockMode mode) {
        PagecacheLock lock = newLock();
        try (Hold a = lock.acquire(mode, 10, 20, LONG_TIMEOUT)) {
            assertThat(lock.tryAcquire(mode.other(), 19, 20)).as("last page").isNull();
            assertThat(lock.tryAcquire(mode.other(), 0, 11)).as("first page").isNull();
            assertThat(lock.tryAcquire(mode.other(), 12, 13)).as("inside").isNull();
            assertThat(lock.tryAcquire(mode.other(), 0, END_OF_VOLUME)).as("covering").isNull();
            try (Hold same = lock.tryAcquire(mode, 15, 25)) {
                assertThat(same).as("same mode overlaps freely").isNotNull();
            }
        }
        assertIdle(lock);
    }

    @Test
    void endOfVolumeRangeReachesTheLastPage() {
        PagecacheLock lock = newLock();
        try (Hold truncate = lock.acquire(LockMode.BLOCK, 100, END_OF_VOLUME, LONG_TIMEOUT)) {
            assertThat(lock.tryAcquire(LockMode.ADD, Long.MAX_VALUE - 1, Long.MAX_VALUE)).isNull();
            assertThat(lock.tryAcquire(LockMode.ADD, 100, 101)).isNull();
            try (Hold below = lock.tryAcquire(LockMode.ADD, 0, 100)) {
                assertThat(below).isNotNull();
            }
        }
        assertIdle(lock);
    }

    @Test
    void waiterHoldsBackOnlyOverlappingRequestsOfTheOtherMode() throws Throwable {
        PagecacheLock lock = newLock();
        Hold add = lock.acquire(LockMode.ADD, 0, 10, LONG_TIMEOUT);
        CountDownLatch in = new CountDownLatch(1);
        CountDownLatch go = new CountDownLatch(1);
        Actor<LockMode> dio = track(Actor.holder(lock, LockMode.BLOCK, 5, 15, in, go));
        awaitUntil("BLOCK [5,15) queued", () -> lock.waiters(LockMode.BLOCK) == 1);

        assertThat(lock.tryAcquire(LockMode.ADD, 12, 20))
                .as("ADD overlapping only the waiter, not a holder, is held back").isNull();
        assertThat(lock.tryAcquire(LockMode.ADD, 5, 6)).as("ADD joining the held range past the waiter").isNull();
        try (Hold disjoint = lock.tryAcquire(LockMode.ADD, 15, 30);
             Hold sameMode = lock.tryAcquire(LockMode.BLOCK, 12, 15)) {
            assertThat(disjoint).as("ADD beside the waiter passes").isNotNull();
            assertThat(sameMode).as("BLOCK overlapping a BLOCK waiter but no ADD holder passes").isNotNull();
        }
        assertThat(in.getCount()).isEqualTo(1);

        add.close();
        assertThat(in.await(10, TimeUnit.SECONDS)).isTrue();
        go.countDown();
        assertThat(dio.join()).isEqualTo(LockMode.BLOCK);
        assertIdle(lock);
    }

    @Test
    void releaseWakesEveryWaiterThatMayProceedInFifoOrder() throws Throwable {
        PagecacheLock lock = newLock();
        Hold wide = lock.acquire(LockMode.ADD, 0, 100, LONG_TIMEOUT);
        Hold narrow = lock.acquire(LockMode.ADD, 40, 41, LONG_TIMEOUT);

        CountDownLatch go = new CountDownLatch(1);
        CountDownLatch aIn = new CountDownLatch(1);
        Actor<LockMode> a = track(Actor.holder(lock, LockMode.BLOCK, 0, 10, aIn, go));
        awaitUntil("A queued", () -> lock.waiters(LockMode.BLOCK) == 1);
        CountDownLatch bIn = new CountDownLatch(1);
        Actor<LockMode> b = track(Actor.holder(lock, LockMode.BLOCK, 30, 50, bIn, go));
        awaitUntil("B queued", () -> lock.waiters(LockMode.BLOCK) == 2);
        // C (ADD) overlaps B only: it must wait behind B, though no BLOCK is held.
        CountDownLatch cIn = new CountDownLatch(1);
        Actor<LockMode> c = track(Actor.holder(lock, LockMode.ADD, 45, 60, cIn, go));
        awaitUntil("C queued", () -> lock.waiters(LockMode.ADD) == 1);
        CountDownLatch dIn = new CountDownLatch(1);
        Actor<LockMode> d = track(Actor.holder(lock, LockMode.BLOCK, 60, 70, dIn, go));
        awaitUntil("D queued", () -> lock.waiters(LockMode.BLOCK) == 3);

        wide.close();
        // A and D may go; B still conflicts with `narrow`; C waits behind B.
        assertThat(aIn.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(dIn.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(lock.holders(LockMode.BLOCK)).isEqualTo(2);
        assertThat(lock.waiters(LockMode.BLOCK)).isEqualTo(1);
        assertThat(lock.waiters(LockMode.ADD)).isEqualTo(1);

        narrow.close();
        assertThat(bIn.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(cIn.getCount()).as("C overlaps the BLOCK now held by B").isEqualTo(1);
        go.countDown();
        assertThat(cIn.await(10, TimeUnit.SECONDS)).isTrue();
        for (Actor<LockMode> x : java.util.List.of(a, b, c, d)) {
            x.join();
        }
        assertIdle(lock);
    }
    @Test
    void addHolderAskingForAnOverlappingBlockGetsEdeadlockButADisjointOneIsGranted() {
        PagecacheLock lock = newLock();
        try (Hold add = lock.acquire(LockMode.ADD, 10, 20, LONG_TIMEOUT)) {
            assertThat(refusal(() -> lock.acquire(LockMode.BLOCK, 15, 30, LONG_TIMEOUT))).isEqualTo(Errno.EDEADLOCK);
            try (Hold beside = lock.acquire(LockMode.BLOCK, 20, 30, LONG_TIMEOUT)) {
                assertThat(beside.mode()).as("own holds elsewhere are no conflict").isEqualTo(LockMode.BLOCK);
            }
        }
        assertIdle(lock);
    }

    @Test
    void waitingBehindAWaiterThatWaitsForUsIsEdeadlock() throws Throwable {
        PagecacheLock lock = newLock();
        Hold add = lock.acquire(LockMode.ADD, 0, 10, LONG_TIMEOUT);
        CountDownLatch in = new CountDownLatch(1);
        CountDownLatch out = new CountDownLatch(1);
        Actor<LockMode> dio = track(Actor.holder(lock, LockMode.BLOCK, 5, 15, in, out));
        awaitUntil("BLOCK [5,15) queued", () -> lock.waiters(LockMode.BLOCK) == 1);

        // ADD [12,20) overlaps no holder, only the BLOCK waiter, which waits for our ADD [0,10).
        assertThat(refusal(() -> lock.acquire(LockMode.ADD, 12, 20, LONG_TIMEOUT))).isEqualTo(Errno.EDEADLOCK);

        assertThat(releaseAndLetIn(add, in, out, dio)).isEqualTo(LockMode.BLOCK);
        assertIdle(lock);
    }

    /**
     * The trees keep the cost of a request logarithmic; this checks they also stay right at size:
     * thousands of tries and releases of both modes at random ranges (up to a few hundred holders
     * at once), each answer judged against a brute-force model (granted iff no holder of the other
     * mode overlaps). Waiters are covered by the tests above and by {@link LockStressTest}.
     */
    @Test
    void manyHoldersAgreeWithABruteForceModel() {
        long seed = LockTestSupport.seed("RangeLockTest.manyHoldersAgreeWithABruteForceModel");
        java.util.Random rnd = new java.util.Random(seed);
        PagecacheLock lock = newLock();
        java.util.List<long[]> held = new java.util.ArrayList<>(); // {mode, first, end}
        java.util.List<Hold> holds = new java.util.ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            if (!holds.isEmpty() && rnd.nextInt(3) == 0) {
                int k = rnd.nextInt(holds.size());
                holds.remove(k).close();
                held.remove(k);
                continue;
            }
            LockMode mode = LockMode.values()[rnd.nextInt(2)];
            long first = rnd.nextInt(1000);
            long end = first + 1 + rnd.nextInt(rnd.nextInt(8) == 0 ? 400 : 8);
            boolean conflicts = held.stream().anyMatch(h -> h[0] != mode.ordinal() && h[1] < end && first < h[2]);
            Hold h = lock.tryAcquire(mode, first, end);
            assertThat(h != null).as("seed %d step %d: %s [%d,%d) granted", seed, i, mode, first, end)
                    .isEqualTo(!conflicts);
            if (h != null) {
                holds.add(h);
                held.add(new long[] {mode.ordinal(), first, end});
            }
        }
        holds.forEach(Hold::close);
        assertIdle(lock);
    }
}
