package io.blockhaus.engine.cache;

import java.util.Arrays;
import java.util.HashMap;
import java.util.TreeSet;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The ordered set of one volume's dirty page indexes, as 64-page bitmaps, each chunk with the
 * time its oldest dirty page was dirtied.
 *
 * <p>It replaced a {@code ConcurrentSkipListSet<Long>}: the profile of 1 MiB sequential writes
 * spent a fifth of its samples inserting skip-list nodes, one per page. Here marking a page is a
 * hash lookup and an OR under a short mutex, and the ordered part (a tree of 64-page chunk
 * numbers) changes only when a chunk gains its first or loses its last dirty page. The mutex is
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

    private final ReentrantLock mutex = new ReentrantLock();
    // guarded by mutex
    private final HashMap<Long, long[]> masks = new HashMap<>(); // chunk -> {bits, dirtied-at nanos}
    private final TreeSet<Long> chunks = new TreeSet<>();

    /** Adds {@code idx}, dirtied at {@code nowNanos}; false if it was there already. */
    boolean add(long idx, long nowNanos) {
        mutex.lock();
        try {
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
        } finally {
            mutex.unlock();
        }
    }

    /**
     * {@link #add} of each index of {@code idxs} (none there yet) if the mutex is free right now;
     * false, with none added, if it is not. For a thread that must not wait (an event loop's
     * inline WRITE): the background writer's {@link #expired} holds the mutex for a walk of every
     * dirty chunk.
     */
    boolean tryAddAll(long[] idxs, int n, long nowNanos) {
        if (!mutex.tryLock()) {
            return false;
        }
        try {
            for (int i = 0; i < n; i++) {
                boolean added = add(idxs[i], nowNanos);
                assert added : "two dirty pages for index " + idxs[i];
            }
            return true;
        } finally {
            mutex.unlock();
        }
    }

    /** The mutex itself, for tests that hold it from another thread to show who only tries it. */
    ReentrantLock mutexForTests() {
        return mutex;
    }

    /** Removes {@code idx}; false if it was not there. */
    boolean remove(long idx) {
        mutex.lock();
        try {
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
        } finally {
            mutex.unlock();
        }
    }

    boolean contains(long idx) {
        mutex.lock();
        try {
            long[] m = masks.get(idx >>> SHIFT);
            return m != null && (m[0] & (1L << (idx & LOW))) != 0;
        } finally {
            mutex.unlock();
        }
    }

    /** Whether any index of {@code [first, end)} is dirty now. */
    boolean anyIn(long first, long end) {
        mutex.lock();
        try {
            long c = ceiling(first);
            return c >= 0 && c < end;
        } finally {
            mutex.unlock();
        }
    }

    /** The smallest dirty index at or above {@code idx}, or -1. */
    long ceiling(long idx) {
        mutex.lock();
        try {
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
        } finally {
            mutex.unlock();
        }
    }

    /**
     * The dirty indexes, ascending, of every chunk whose oldest dirty page was dirtied at or
     * before {@code cutoffNanos} (a {@link System#nanoTime()} value, compared overflow-safely).
     */
    long[] expired(long cutoffNanos) {
        mutex.lock();
        try {
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
        } finally {
            mutex.unlock();
        }
    }

    /** The dirty indexes in {@code [first, end)} now, ascending. */
    long[] snapshot(long first, long end) {
        mutex.lock();
        try {
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
        } finally {
            mutex.unlock();
        }
    }
}
