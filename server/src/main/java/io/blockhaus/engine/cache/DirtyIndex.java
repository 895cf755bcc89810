package io.blockhaus.engine.cache;

import java.util.Arrays;
import java.util.HashMap;
import java.util.TreeSet;

/**
 * The ordered set of one volume's dirty page indexes, as 64-page bitmaps, each chunk with the
 * time its oldest dirty page was dirtied.
 *
 * <p>It replaced a {@code ConcurrentSkipListSet<Long>}: the profile of 1 MiB sequential writes
 * spent a fifth of its samples inserting skip-list nodes, one per page. Here marking a page is a
 * hash lookup and an OR under a short monitor, and the ordered part (a tree of 64-page chunk
 * numbers) changes only when a chunk gains its first or loses its last dirty page. The monitor is
 * held for a few dozen nanoseconds and never while doing I/O or taking another lock.
 *
 * <p>Why a time per chunk and not per page: the background writer's expiry pass used to look up
 * every dirty page to read its time, so with 4 KiB random writes it spent a tenth of the JVM's
 * samples in boxed hash lookups, and its cost grew with the cache (800k lookups a pass for an
 * 8 GiB cache). A chunk's time is set when it gains its first dirty page and kept while any stays
 * dirty, so it is never later than any of its pages' times: expiry writes back a whole 64-page
 * chunk once its oldest page is due, a finer grain than the kernel's, which expires whole inodes.
 */
final class DirtyIndex {
    private static final int SHIFT = 6;
    private static final long LOW = (1L << SHIFT) - 1;

    // guarded by this
    private final HashMap<Long, long[]> masks = new HashMap<>(); // chunk -> {bits, dirtied-at nanos}
    private final TreeSet<Long> chunks = new TreeSet<>();

    /** Adds {@code idx}, dirtied at {@code nowNanos}; false if it was there already. */
    synchronized boolean add(long idx, long nowNanos) {
        long chunk = idx >>> SHIFT;
        long bit = 1L << (idx & LOW);
        long[] m = masks.get(chunk);
        if (m == null) {
            m = new long[] {0, nowNanos};
            masks.put(chunk, m);
            chunks.add(chunk);
        }
        if ((m[0] & bit) != 0) {
            return false;
        }
        m[0] |= bit;
        return true;
    }

    /** Removes {@code idx}; false if it was not there. */
    synchronized boolean remove(long idx) {
        long chunk = idx >>> SHIFT;
        long bit = 1L << (idx & LOW);
        long[] m = masks.get(chunk);
        if (m == null || (m[0] & bit) == 0) {
            return false;
        }
        m[0] &= ~bit;
        if (m[0] == 0) {
            masks.remove(chunk);
            chunks.remove(chunk);
        }
        return true;
    }

    synchronized boolean contains(long idx) {
        long[] m = masks.get(idx >>> SHIFT);
        return m != null && (m[0] & (1L << (idx & LOW))) != 0;
    }

    /** Whether any index of {@code [first, end)} is dirty now. */
    synchronized boolean anyIn(long first, long end) {
        long c = ceiling(first);
        return c >= 0 && c < end;
    }

    /** The smallest dirty index at or above {@code idx}, or -1. */
    synchronized long ceiling(long idx) {
        long chunk = idx >>> SHIFT;
        long[] m = masks.get(chunk);
        if (m != null) {
            long above = m[0] & (-1L << (idx & LOW));
            if (above != 0) {
                return (chunk << SHIFT) + Long.numberOfTrailingZeros(above);
            }
        }
        Long next = chunks.higher(chunk);
        return next == null ? -1 : (next << SHIFT) + Long.numberOfTrailingZeros(masks.get(next)[0]);
    }

    /**
     * The dirty indexes, ascending, of every chunk whose oldest dirty page was dirtied at or
     * before {@code cutoffNanos} (a {@link System#nanoTime()} value, compared overflow-safely).
     */
    synchronized long[] expired(long cutoffNanos) {
        long[] out = new long[16];
        int n = 0;
        for (Long chunk : chunks) {
            long[] m = masks.get(chunk);
            if (m[1] - cutoffNanos > 0) {
                continue;
            }
            for (long bits = m[0]; bits != 0; bits &= bits - 1) {
                if (n == out.length) {
                    out = Arrays.copyOf(out, 2 * n);
                }
                out[n++] = (chunk << SHIFT) + Long.numberOfTrailingZeros(bits);
            }
        }
        return Arrays.copyOf(out, n);
    }

    /** The dirty indexes in {@code [first, end)} now, ascending. */
    synchronized long[] snapshot(long first, long end) {
        if (end <= first || chunks.isEmpty()) {
            return new long[0];
        }
        long[] out = new long[16];
        int n = 0;
        for (Long chunk : chunks.subSet(first >>> SHIFT, true, (end - 1) >>> SHIFT, true)) {
            long m = masks.get(chunk)[0];
            while (m != 0) {
                long idx = (chunk << SHIFT) + Long.numberOfTrailingZeros(m);
                m &= m - 1;
                if (idx >= first && idx < end) {
                    if (n == out.length) {
                        out = Arrays.copyOf(out, 2 * n);
                    }
                    out[n++] = idx;
                }
            }
        }
        return Arrays.copyOf(out, n);
    }
}
