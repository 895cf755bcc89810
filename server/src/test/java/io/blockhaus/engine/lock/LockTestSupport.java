package io.blockhaus.engine.lock;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/** Small helpers shared by the lock tests. */
final class LockTestSupport {
    /** System property that replays a random test: {@code -Dblockhaus.lock.seed=...}. */
    static final String SEED_PROPERTY = "blockhaus.lock.seed";
    static final long LONG_TIMEOUT = TimeUnit.SECONDS.toNanos(30);

    private LockTestSupport() {
    }

    /** Waits (bounded) for a condition another thread will make true, e.g. "it is queued". */
    static void awaitUntil(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out waiting until " + what);
            }
            LockSupport.parkNanos(20_000); // polling pace only; no test outcome depends on it
        }
    }

    /** The seed for a random test: the replay property if set, else fresh. Always printed. */
    static long seed(String test) {
        String fixed = System.getProperty(SEED_PROPERTY);
        long seed = fixed != null ? Long.parseLong(fixed) : ThreadLocalRandom.current().nextLong();
        System.out.println("[" + test + "] seed=" + seed + " (replay: -D" + SEED_PROPERTY + "=" + seed + ")");
        return seed;
    }
}
