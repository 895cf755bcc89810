package io.blockhaus.grpc;

import io.blockhaus.engine.lock.LockListener;
import io.blockhaus.engine.lock.LockMode;
import io.blockhaus.engine.lock.LockOutcome;
import io.blockhaus.engine.lock.LockPolicy;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts one volume's pagecache-lock acquisitions per mode, for GetLockStats: acquisitions,
 * contended ones, timeouts, EDEADLOCK refusals, interrupts, and wait and hold times in log2
 * buckets (a percentile is its bucket's upper bound: within 2x, with no allocation and no lock on
 * the acquiring thread). Adders rather than atomics: every ADD holder on every core updates
 * them. Holders and waiters now are the lock's own snapshot, not counted here.
 *
 * <p>It asks the lock for times ({@link #timed}), which costs two clock reads per uncontended
 * acquisition; only cache misses, direct I/O and space operations take the lock, so that is
 * small beside the I/O they do.
 */
public final class LockStatsRecorder implements LockListener {
    private static final int BUCKETS = 64;

    /**
     * A snapshot of one mode's numbers. Percentiles are bucket upper bounds in nanoseconds;
     * {@code waitBuckets} are the wait histogram's counts (index i: [2^i, 2^(i+1)) ns), trailing
     * empty buckets left out, for clients that subtract two snapshots.
     */
    public record ModeSnapshot(LockMode mode, long acquisitions, long contended, long timeouts, long deadlocks,
            long interrupts, long waitP50, long waitP99, long waitMax, long holdP50, long holdP99, long holdMax,
            List<Long> waitBuckets) {
    }

    private static final class Histogram {
        private final LongAdder[] buckets = new LongAdder[BUCKETS];
        private final AtomicLong max = new AtomicLong();

        Histogram() {
            for (int i = 0; i < BUCKETS; i++) {
                buckets[i] = new LongAdder();
            }
        }

        /** Bucket i holds [2^i, 2^(i+1)); bucket 0 also holds 0. */
        void record(long nanos) {
            long v = Math.max(0, nanos);
            buckets[v == 0 ? 0 : BUCKETS - 1 - Long.numberOfLeadingZeros(v)].increment();
            if (v > max.get()) {
                max.accumulateAndGet(v, Math::max);
            }
        }

        /** The bucket counts up to the last non-empty one. */
        List<Long> counts() {
            List<Long> out = new ArrayList<>();
            int used = 0;
            for (int i = 0; i < BUCKETS; i++) {
                long n = buckets[i].sum();
                out.add(n);
                if (n != 0) {
                    used = i + 1;
                }
            }
            return List.copyOf(out.subList(0, used));
        }

        /** The upper bound of the bucket holding the {@code q}-quantile; 0 when empty. */
        long quantile(double q) {
            long[] counts = new long[BUCKETS];
            long total = 0;
            for (int i = 0; i < BUCKETS; i++) {
                counts[i] = buckets[i].sum();
                total += counts[i];
            }
            if (total == 0) {
                return 0;
            }
            long rank = (long) Math.ceil(q * total);
            long seen = 0;
            for (int i = 0; i < BUCKETS; i++) {
                seen += counts[i];
                if (seen >= rank) {
                    return i >= BUCKETS - 2 ? max.get() : Math.min(max.get(), (1L << (i + 1)) - 1);
                }
            }
            return max.get();
        }
    }

    private static final class ModeCounters {
        final LongAdder acquisitions = new LongAdder();
        final LongAdder contended = new LongAdder();
        final LongAdder timeouts = new LongAdder();
        final LongAdder deadlocks = new LongAdder();
        final LongAdder interrupts = new LongAdder();
        final Histogram waits = new Histogram();
        final Histogram holds = new Histogram();
    }

    private final Map<LockMode, ModeCounters> modes = new EnumMap<>(LockMode.class);

    public LockStatsRecorder() {
        for (LockMode m : LockMode.values()) {
            modes.put(m, new ModeCounters());
        }
    }

    @Override
    public void acquired(LockMode mode, LockPolicy policy, long waitNanos, boolean contended) {
        ModeCounters c = modes.get(mode);
        c.acquisitions.increment();
        if (contended) {
            c.contended.increment();
        }
        c.waits.record(waitNanos);
    }

    @Override
    public void released(LockMode mode, LockPolicy policy, long holdNanos) {
        modes.get(mode).holds.record(holdNanos);
    }

    @Override
    public void failed(LockMode mode, LockPolicy policy, long waitNanos, LockOutcome outcome) {
        ModeCounters c = modes.get(mode);
        switch (outcome) {
            case TIMEOUT -> c.timeouts.increment();
            case EDEADLOCK -> c.deadlocks.increment();
            case INTERRUPTED, CANCELLED -> c.interrupts.increment(); // a cancelled call interrupts its wait too
            case ACQUIRED -> { }
        }
    }

    public ModeSnapshot snapshot(LockMode mode) {
        ModeCounters c = modes.get(mode);
        return new ModeSnapshot(mode, c.acquisitions.sum(), c.contended.sum(), c.timeouts.sum(), c.deadlocks.sum(),
                c.interrupts.sum(), c.waits.quantile(0.5), c.waits.quantile(0.99), c.waits.max.get(),
                c.holds.quantile(0.5), c.holds.quantile(0.99), c.holds.max.get(), c.waits.counts());
    }
}
