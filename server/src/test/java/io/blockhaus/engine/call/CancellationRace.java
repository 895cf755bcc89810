package io.blockhaus.engine.call;

import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Threads that each run rounds under a fresh {@link CallBudget}, some of them cancelled by
 * another thread that races the round wherever it is: the harness of the cancellation race
 * tests (waits of a JDK lock, of the pagecache lock). A round that never ends fails the test by
 * the 100 s the harness waits for it.
 */
public final class CancellationRace {
    /** One round of one thread: its random source (seeded per thread) and its call. */
    public interface Round {
        void run(SplittableRandom rnd, CallBudget call) throws Exception;
    }

    private CancellationRace() {
    }

    /** Runs {@code rounds} rounds on each of {@code threads} threads; one call in {@code oneIn} is cancelled. */
    public static void run(long seed, int threads, int rounds, int oneIn, Round round) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        ExecutorService cancellers = Executors.newSingleThreadExecutor();
        try {
            Future<?>[] fs = new Future<?>[threads];
            for (int t = 0; t < threads; t++) {
                SplittableRandom rnd = new SplittableRandom(seed + t);
                fs[t] = pool.submit(() -> {
                    for (int i = 0; i < rounds; i++) {
                        CallBudget call = CallBudget.unbounded();
                        if (rnd.nextInt(oneIn) == 0) {
                            cancellers.execute(call::cancel); // races the round, wherever it is
                        }
                        round.run(rnd, call);
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
    }
}
