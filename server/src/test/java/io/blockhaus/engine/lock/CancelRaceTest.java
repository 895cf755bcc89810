package io.blockhaus.engine.lock;

import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.engine.call.CancellationRace;
import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Cancellations racing the lock's waiters, for both policies: calls without a deadline, a lock
 * timeout of a minute, so every wait that ends without a grant was cancelled and must say so
 * ({@code EINTR}, never "the call's deadline passed"), however the cancellation interleaves
 * with the waiter's checks; and nobody is left waiting, holding or listed.
 */
class CancelRaceTest {
    private static final long TIMEOUT = TimeUnit.MINUTES.toNanos(1);

    @ParameterizedTest
    @EnumSource(LockPolicy.class)
    @Timeout(120)
    void aCancelledWaitIsReportedCancelledWhereverTheCancellationLands(LockPolicy policy) throws Exception {
        long seed = Long.getLong("cancelrace.seed", new SplittableRandom().nextLong());
        System.out.println("CancelRaceTest " + policy + " seed=" + seed + " (replay: -Dcancelrace.seed=" + seed + ")");
        PagecacheLock lock = PagecacheLock.create(policy, LockListener.NONE);
        AtomicInteger cancelled = new AtomicInteger();
        CancellationRace.run(seed, 4, 2000, 3, (rnd, call) -> {
            LockMode mode = rnd.nextBoolean() ? LockMode.ADD : LockMode.BLOCK;
            long first = rnd.nextInt(4);
            try (PagecacheLock.Hold h = lock.acquire(mode, first, first + 2, TIMEOUT, call)) {
                if (rnd.nextBoolean()) {
                    Thread.yield(); // hold it a little, so others wait
                }
            } catch (ErrnoException e) {
                assertThat(e.errno()).as(e.getMessage()).isEqualTo(Errno.EINTR);
                cancelled.incrementAndGet();
            }
            assertThat(call.registeredWaiters()).isZero();
        });
        System.out.println("CancelRaceTest " + policy + ": " + cancelled + " cancelled");
        for (LockMode m : LockMode.values()) {
            assertThat(lock.waiters(m)).isZero();
            assertThat(lock.holders(m)).isZero();
        }
    }
}
