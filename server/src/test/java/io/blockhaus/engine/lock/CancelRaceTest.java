package io.blockhaus.engine.lock;

import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.engine.call.CallBudget;
import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Cancellations racing the lock's waiters, for both policies: calls without a deadline, a lock
 * timeout of a minute, so every wait that ends without a grant was cancelled and must say so
 * ({@code EINTR}, never "the call's deadline passed"), however the cancellation interleaves
 * with the waiter's checks; and nobody is left waiting or listed.
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
        int threads = 4;
        int rounds = 2000;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        ExecutorService cancellers = Executors.newSingleThreadExecutor();
        try {
            Future<?>[] fs = new Future<?>[threads];
            for (int t = 0; t < threads; t++) {
                SplittableRandom rnd = new SplittableRandom(seed + t);
                fs[t] = pool.submit(() -> {
                    for (int i = 0; i < rounds; i++) {
                        LockMode mode = rnd.nextBoolean() ? LockMode.ADD : LockMode.BLOCK;
                        long first = rnd.nextInt(4);
                        CallBudget call = CallBudget.unbounded();
                        if (rnd.nextInt(3) == 0) {
                            cancellers.execute(call::cancel);
                        }
                        try (PagecacheLock.Hold h = lock.acquire(mode, first, first + 2, TIMEOUT, call)) {
                            if (rnd.nextBoolean()) {
                                Thread.yield(); // hold it a little, so others wait
                            }
                        } catch (ErrnoException e) {
                            assertThat(e.errno()).as(e.getMessage()).isEqualTo(Errno.EINTR);
                            cancelled.incrementAndGet();
                        }
                        assertThat(call.registeredWaiters()).isZero();
                    }
                    return null;
                });
            }
            for (Future<?> f : fs) {
                f.get(100, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
            cancellers.shutdownNow();
        }
        System.out.println("CancelRaceTest " + policy + ": " + cancelled + " cancelled");
        for (LockMode m : LockMode.values()) {
            assertThat(lock.waiters(m)).isZero();
            assertThat(lock.holders(m)).isZero();
        }
    }
}
