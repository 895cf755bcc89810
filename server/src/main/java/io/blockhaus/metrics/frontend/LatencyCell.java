package io.blockhaus.metrics.frontend;

import io.blockhaus.metrics.LatencyBuckets;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * One writer's share of a request-latency histogram: counts per bucket of {@link LatencyBuckets},
 * the sum of the latencies, and the largest latency of each recent epoch, in one {@code long[]}.
 * A scrape adds up every cell of a series ({@link RequestHistograms}).
 *
 * <h2>Why a cell per writer</h2>
 * An NBD connection's requests are all answered on its one event loop, so a cell of its own needs
 * no atomic instruction: {@link #record} is a bucket search and three stores, against Micrometer's
 * {@code Timer.record} with its shared adders, atomic bucket array and a wall-clock read for the
 * time-window max (73 ns on one thread, measured). Writers that are not confined (gRPC calls end on
 * any thread) share one cell through {@link #recordConcurrent}, which uses atomic adds instead. A
 * cell is used one way or the other, never both.
 *
 * <h2>Memory visibility (the scraper reads what another thread writes)</h2>
 * <ul>
 * <li>Every slot is written with a release store and read with an acquire load (VarHandle modes):
 *     each load sees a whole long (no tearing) and stores become visible without any lock; the
 *     confined writer reads its own slots plainly, since only it writes them.</li>
 * <li>Each slot only grows (counts and sum) or is replaced whole (a max slot packs its epoch with
 *     its value), so a scrape never sees a count go down: a later load of a slot returns the same
 *     or a later value (coherence of one location).</li>
 * <li>A scrape reads the slots one by one while the writer goes on, so a snapshot may hold a
 *     request in its bucket and not yet in the sum. The count is the sum of the bucket counts read
 *     (never read separately), so {@code _count} equals the {@code +Inf} bucket and the cumulative
 *     buckets never decrease within a scrape; only {@code _sum} may lag by the requests in flight.</li>
 * <li>{@link #close} is the writer's last act, a volatile store after its last record; a scraper
 *     that reads {@link #isClosed} true (a volatile load) then sees every record (happens-before),
 *     so the final values it folds into the series' retired totals are complete.</li>
 * </ul>
 *
 * <h2>The max</h2>
 * Micrometer shows {@code _max} as the largest latency of the last two minutes or so. Here time is
 * cut into epochs of 2^35 ns (34.4 s) taken from the request's end time, which the caller already
 * read; four slots hold, each, (epoch mod 2^24) in the top 24 bits and the largest latency of that
 * epoch in the low 40 (up to 2^40 ns, 18 minutes: longer requests show as 18 minutes). A scrape
 * takes the largest of the slots of the current epoch and the two before it: the max of the last
 * 69 to 103 seconds.
 */
final class LatencyCell {
    private static final long[] BOUNDS = LatencyBuckets.boundsInNanos();
    /** Buckets: one per bound, then +Inf. */
    static final int BUCKETS = BOUNDS.length + 1;
    static final int SUM = BUCKETS;
    static final int MAX = SUM + 1;
    static final int MAX_SLOTS = 4;
    static final int LENGTH = MAX + MAX_SLOTS;
    static final int EPOCH_SHIFT = 35;
    private static final int VALUE_BITS = 40;
    private static final long VALUE_MASK = (1L << VALUE_BITS) - 1;
    private static final long EPOCH_MASK = (1L << (64 - VALUE_BITS)) - 1;
    /** The epochs a scrape's max covers: the current one and the two before it. */
    static final int MAX_EPOCHS = 3;

    private static final VarHandle SLOTS = MethodHandles.arrayElementVarHandle(long[].class);

    private final long[] slots = new long[LENGTH];
    private volatile boolean closed;

    /**
     * Per bit length of a latency (0 to 64): the bucket of the smallest latency of that length.
     * Bounds are at least twice apart (1, 2.5, 5, 10: ratios 2.5, 2, 2), so at most one bound lies
     * in any [2^k, 2^(k+1)): from here a latency's bucket is at most one step on.
     */
    private static final int[] BUCKET_BY_BITS = bucketsByBits();

    private static int[] bucketsByBits() {
        int[] b = new int[65];
        for (int bits = 0; bits <= 64; bits++) {
            long smallest = bits == 0 ? 0 : bits == 64 ? Long.MIN_VALUE : 1L << (bits - 1);
            int i = Arrays.binarySearch(BOUNDS, smallest);
            b[bits] = bits == 64 ? BOUNDS.length : i >= 0 ? i : -i - 1;
        }
        return b;
    }

    /**
     * The bucket of a latency (not negative): the first bound at or above it ({@code le}), else
     * +Inf. A table look-up by bit length and a compare or two, rather than a binary search
     * (the largest part of a record in a JFR profile of the cached-read benchmark).
     */
    static int bucketOf(long nanos) {
        int b = BUCKET_BY_BITS[64 - Long.numberOfLeadingZeros(nanos)];
        while (b < BOUNDS.length && nanos > BOUNDS[b]) {
            b++;
        }
        return b;
    }

    /** The epoch of a {@link System#nanoTime()} reading, as the max slots keep it. */
    static long epochOf(long nanoTime) {
        return (nanoTime >> EPOCH_SHIFT) & EPOCH_MASK;
    }

    /** Records one latency; only this cell's one writer thread may call it. */
    void record(long nanos, long endedAt) {
        long n = Math.max(nanos, 0);
        int b = bucketOf(n);
        SLOTS.setRelease(slots, b, slots[b] + 1);
        SLOTS.setRelease(slots, SUM, slots[SUM] + n);
        long epoch = epochOf(endedAt);
        int m = MAX + (int) (epoch & (MAX_SLOTS - 1));
        long old = slots[m];
        if (old >>> VALUE_BITS != epoch || (old & VALUE_MASK) < n) {
            SLOTS.setRelease(slots, m, packMax(epoch, n));
        }
    }

    /** Records one latency from any thread (a cell shared by writers that are not confined). */
    void recordConcurrent(long nanos, long endedAt) {
        long n = Math.max(nanos, 0);
        SLOTS.getAndAdd(slots, bucketOf(n), 1L);
        SLOTS.getAndAdd(slots, SUM, n);
        long epoch = epochOf(endedAt);
        int m = MAX + (int) (epoch & (MAX_SLOTS - 1));
        long packed = packMax(epoch, n);
        for (long old = (long) SLOTS.getAcquire(slots, m);
                old >>> VALUE_BITS != epoch || (old & VALUE_MASK) < n; old = (long) SLOTS.getAcquire(slots, m)) {
            // An older epoch is replaced whole; the same epoch only by a larger value. A slot one
            // rotation (four epochs) newer than this record cannot be there: records end "now".
            if (SLOTS.compareAndSet(slots, m, old, packed)) {
                return;
            }
        }
    }

    /** The writer is done: no record follows. */
    void close() {
        closed = true;
    }

    boolean isClosed() {
        return closed;
    }

    /** Adds this cell's buckets and sum into {@code totals} and merges its max slots (any thread). */
    void addTo(long[] totals) {
        for (int i = 0; i < MAX; i++) {
            totals[i] += (long) SLOTS.getAcquire(slots, i);
        }
        for (int i = MAX; i < LENGTH; i++) {
            totals[i] = newerOrLarger(totals[i], (long) SLOTS.getAcquire(slots, i));
        }
    }

    /** The largest latency in {@code totals}' max slots of the epochs a scrape at {@code nowEpoch} covers; 0 if none. */
    static long maxOf(long[] totals, long nowEpoch) {
        long max = 0;
        for (int i = MAX; i < LENGTH; i++) {
            long packed = totals[i];
            if (packed != 0 && ((nowEpoch - (packed >>> VALUE_BITS)) & EPOCH_MASK) < MAX_EPOCHS) {
                max = Math.max(max, packed & VALUE_MASK);
            }
        }
        return max;
    }

    private static long packMax(long epoch, long nanos) {
        return epoch << VALUE_BITS | Math.min(nanos, VALUE_MASK);
    }

    /** Of two max slots (same index, so same epoch or epochs a multiple of four apart): the newer, or the larger. */
    private static long newerOrLarger(long a, long b) {
        if (a == 0 || b == 0) {
            return a | b;
        }
        long ea = a >>> VALUE_BITS;
        long eb = b >>> VALUE_BITS;
        if (ea == eb) {
            return Math.max(a, b);
        }
        // Wrap-aware: the one less than half the epoch space ahead is newer.
        return ((eb - ea) & EPOCH_MASK) < (EPOCH_MASK >>> 1) ? b : a;
    }
}
