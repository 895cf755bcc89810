package io.blockhaus.engine.call;

import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link ReleaseWaits} under contention: threads take one lock through it, their calls
 * cancelled at random by another thread racing them. The lock's own bound is a minute, so a
 * lost wake-up (a release or a cancellation that no waiter hears) stalls a thread past the
 * test's timeout and fails it; a cancelled call never holds the lock and says EINTR, a live one
 * always gets it, and no thread stays listed.
 */
class ReleaseWaitsTest {
    private static final long OWN_BOUND = TimeUnit.MINUTES.toNanos(1);

    @Test
    @Timeout(120)
    void everyWaiterGetsTheLockOrItsCancellationAndNoneIsLeftListed() throws Exception {
        long seed = Long.getLong("releasewaits.seed", new SplittableRandom().nextLong());
        System.out.println("ReleaseWaitsTest seed=" + seed + " (replay: -Dreleasewaits.seed=" + seed + ")");
        ReentrantLock lock = new ReentrantLock();
        ReleaseWaits waits = new ReleaseWaits();
        AtomicInteger holders = new AtomicInteger();
        AtomicInteger acquired = new AtomicInteger();
        AtomicInteger cancelled = new AtomicInteger();
        AtomicInteger waited = new AtomicInteger();
        int threads = 4;
        int rounds = 3000;
        CancellationRace.run(seed, threads, rounds, 4, (rnd, call) -> {
            try {
                if (!lock.tryLock()) {
                    waited.incrementAndGet();
                    assertThat(waits.await(lock::tryLock, OWN_BOUND, call, "the lock")).isTrue();
                }
            } catch (ErrnoException e) {
                assertThat(e.errno()).as(e.getMessage()).isEqualTo(Errno.EINTR);
                assertThat(call.isCancelled()).isTrue();
                assertThat(lock.isHeldByCurrentThread()).as("gave up holding nothing").isFalse();
                cancelled.incrementAndGet();
                return;
            } finally {
                assertThat(call.registeredWaiters()).isZero();
            }
            try {
                assertThat(holders.incrementAndGet()).isEqualTo(1);
                acquired.incrementAndGet();
                if (rnd.nextBoolean()) {
                    Thread.yield(); // hold it a little, so others wait
                }
                holders.decrementAndGet();
            } finally {
                lock.unlock();
                waits.signal();
            }
        });
        System.out.println("ReleaseWaitsTest: " + waited + " waits, " + cancelled + " cancelled");
        assertThat(acquired.get() + cancelled.get()).isEqualTo(threads * rounds);
        assertThat(waits.waiters()).isZero();
        assertThat(lock.isLocked()).isFalse();
    }
}
