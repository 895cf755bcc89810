package io.blockhaus.cli;

import io.blockhaus.proto.v1.LockStats;
import io.blockhaus.proto.v1.ModeStats;
import java.util.List;

/**
 * One mode's lock figures between two GetLockStats snapshots, computed here because the server
 * only keeps figures since the volume opened: acquisitions (and per second), the share of them
 * that waited, timeouts and EDEADLOCK refusals in the interval, and the interval's wait p99 from
 * the difference of the two wait histograms (log2 buckets, so, like the server's own percentiles,
 * the upper bound of the bucket: within 2x). Holders and waiters are the newer snapshot's.
 *
 * @param waitP99Nanos the interval's wait p99, or -1 when nothing was granted in the interval
 */
record LockRates(ModeStats.Mode mode, int holders, int waiters, long acquisitionsTotal, long acquisitions,
        double acquisitionsPerSecond, long contended, long timeouts, long deadlocks, long waitP99Nanos) {

    /** The figures of {@code now} against {@code before} (same volume and mode), {@code seconds} apart. */
    static LockRates between(ModeStats before, ModeStats now, double seconds) {
        long acquisitions = now.getAcquisitions() - before.getAcquisitions();
        return new LockRates(now.getMode(), now.getHolders(), now.getWaiters(), now.getAcquisitions(), acquisitions,
                seconds > 0 ? acquisitions / seconds : 0, now.getContendedAcquisitions() - before.getContendedAcquisitions(),
                now.getTimeouts() - before.getTimeouts(), now.getDeadlocks() - before.getDeadlocks(),
                quantile(difference(now.getWaitBucketsList(), before.getWaitBucketsList()), 0.99));
    }

    /** The snapshot of {@code mode} in {@code stats}; the empty one (all zero) when the server sent none. */
    static ModeStats mode(LockStats stats, ModeStats.Mode mode) {
        return stats.getModesList().stream().filter(m -> m.getMode() == mode).findFirst()
                .orElse(ModeStats.newBuilder().setMode(mode).build());
    }

    /** Share of the interval's grants that had to wait, or -1 when there were none. */
    double contendedShare() {
        return acquisitions > 0 ? (double) contended / acquisitions : -1;
    }

    /** now - before, bucket by bucket; a shorter list is padded with zeroes (trailing empty buckets are left out). */
    static long[] difference(List<Long> now, List<Long> before) {
        long[] d = new long[Math.max(now.size(), before.size())];
        for (int i = 0; i < d.length; i++) {
            d[i] = (i < now.size() ? now.get(i) : 0) - (i < before.size() ? before.get(i) : 0);
        }
        return d;
    }

    /** The upper bound in nanoseconds of the bucket holding the {@code q}-quantile, -1 when the buckets are empty. */
    static long quantile(long[] buckets, double q) {
        long total = 0;
        for (long n : buckets) {
            total += n;
        }
        if (total <= 0) {
            return -1;
        }
        long rank = (long) Math.ceil(q * total);
        long seen = 0;
        for (int i = 0; i < buckets.length; i++) {
            seen += buckets[i];
            if (seen >= rank) {
                return i >= 62 ? Long.MAX_VALUE : (1L << (i + 1)) - 1;
            }
        }
        return -1;
    }
}
