package io.blockhaus.engine.lock;

import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import io.blockhaus.engine.lock.PagecacheLock.Hold;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Random acquisitions of both modes on random ranges, with timeouts, tryAcquire and stray
 * interrupts, for a bounded time ({@code -Dblockhaus.lock.stressMillis}, default 3000), checked
 * by an independent {@link Occupancy} witness. Replay the random choices (not the interleaving)
 * with the printed seed.
 */
class LockStressTest {
    static final int PAGES = 64;
    static final int WORKERS = 4;
    /** Long enough that running out means starvation, not bad luck. */
    static final long PATIENT = TimeUnit.SECONDS.toNanos(10);

    @ParameterizedTest
    @EnumSource(LockPolicy.class)
    void overlappingAddAndBlockAreNeverHeldTogether(LockPolicy policy) throws Throwable {
        long seed = LockTestSupport.seed("LockStressTest " + policy);
        long millis = Long.getLong("blockhaus.lock.stressMillis", 3_000);
        PagecacheLock lock = PagecacheLock.create(policy, new RecordingCounts());
        Occupancy witness = new Occupancy(PAGES);
        ConcurrentLinkedQueue<String> starved = new ConcurrentLinkedQueue<>();
        LongAdder acquired = new LongAdder();
        LongAdder timedOut = new LongAdder();
        LongAdder interrupted = new LongAdder();
        LongAdder tryFailed = new LongAdder();
        AtomicBoolean done = new AtomicBoolean();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);

        List<Actor<Long>> workers = new ArrayList<>();
        for (int w = 0; w < WORKERS; w++) {
            Random random = new Random(seed + w);
            workers.add(Actor.start("worker-" + w, () -> {
                long mine = 0;
                while (System.nanoTime() - deadline < 0 && witness.violations.isEmpty()) {
                    LockMode mode = random.nextBoolean() ? LockMode.ADD : LockMode.BLOCK;
                    long first = random.nextInt(PAGES);
                    long end = random.nextInt(10) == 0 ? Long.MAX_VALUE
                            : first + 1 + random.nextInt((int) Math.min(16, PAGES - first));
                    int op = random.nextInt(100);
                    int spin = random.nextInt(50);
                    Hold h = null;
                    try {
                        if (op < 60) {
                            h = lock.acquire(mode, first, end, PATIENT);
                        } else if (op < 80) {
                            h = lock.acquire(mode, first, end, random.nextInt(200_000));
                        } else if ((h = lock.tryAcquire(mode, first, end)) == null) {
                            tryFailed.increment();
                        }
                    } catch (ErrnoException e) {
                        if (e.errno() == Errno.EINTR) {
                            interrupted.increment();
                        } else if (op < 60) {
                            starved.add(mode + " [" + first + "," + end + ") waited " + PATIENT + " ns: " + lock);
                        } else {
                            timedOut.increment();
                        }
                    }
                    Thread.interrupted(); // a stray interrupt that landed outside a wait
                    if (h != null) {
                        // Two-state ignores ranges: every hold covers the whole volume.
                        long wf = policy == LockPolicy.TWO_STATE ? 0 : first;
                        long we = policy == LockPolicy.TWO_STATE ? Long.MAX_VALUE : end;
                        witness.enter(h.mode(), wf, we);
                        for (int s = 0; s < spin; s++) {
                            Thread.onSpinWait();
                        }
                        witness.leave(h.mode(), wf, we);
                        h.close();
                        acquired.increment();
                        mine++;
                    }
                }
                return mine;
            }));
        }
        Random pacing = new Random(seed - 1);
        Actor<Long> interrupter = Actor.start("interrupter", () -> {
            long sent = 0;
            while (!done.get()) {
                LockSupport.parkNanos(50_000 + pacing.nextInt(500_000)); // pacing only
                workers.get(pacing.nextInt(WORKERS)).interrupt();
                sent++;
            }
            return sent;
        });

        long perWorkerMin = Long.MAX_VALUE;
        try {
            for (Actor<Long> w : workers) {
                perWorkerMin = Math.min(perWorkerMin, w.join());
            }
        } finally {
            done.set(true);
        }
        long interrupts = interrupter.join();

        System.out.printf("[stress] %s seed=%d %d ms: %d acquired (min %d per worker), %d timed out, "
                        + "%d EINTR (%d interrupts sent), %d tryAcquire refused%n",
                policy, seed, millis, acquired.sum(), perWorkerMin, timedOut.sum(), interrupted.sum(),
                interrupts, tryFailed.sum());
        assertThat(witness.violations).as("overlapping ADD and BLOCK held at once").isEmpty();
        assertThat(starved).as("patient acquisitions that timed out").isEmpty();
        assertThat(acquired.sum()).as("work done").isGreaterThan(1_000);
        assertThat(perWorkerMin).as("every worker got the lock").isPositive();
        assertThat(witness.empty()).isTrue();
        PagecacheLockContract.assertIdle(lock);
    }

    /** A timed listener, so the stress covers the clock-reading paths too. */
    private static final class RecordingCounts implements LockListener {
        private final LongAdder events = new LongAdder();

        @Override
        public void acquired(LockMode mode, LockPolicy policy, long waitNanos, boolean contended) {
            events.increment();
        }

        @Override
        public void released(LockMode mode, LockPolicy policy, long holdNanos) {
            events.increment();
        }

        @Override
        public void failed(LockMode mode, LockPolicy policy, long waitNanos, LockOutcome outcome) {
            events.increment();
        }
    }
}
