package io.blockhaus.jmh;

import java.util.Arrays;

/**
 * A map from non-negative {@code long} keys to {@code int} values, with no object per entry: the
 * plainest page index there is, for {@link CacheMissCeilingBenchmark}. One thread only.
 *
 * <p>Open addressing with linear probing over one {@code long[]} that holds each slot's key and
 * value side by side, so a probe reads one cache line (two arrays would be two lines, two DRAM
 * misses in a table larger than the CPU's caches). Its capacity is a power of two at least twice
 * the entries it must hold, so a probe sequence stays short (at a load of 1/2 linear probing
 * expects 1.5 slots for a hit, 2.5 for a miss). Removal shifts back the entries after the removed
 * one that probed past it (Knuth's algorithm R), so there are no tombstones and a lookup ends at
 * the first empty slot however many removals came before.
 */
final class LongIntTable {
    private static final long EMPTY = -1;

    private final long[] slots; // [2 i] = key or EMPTY, [2 i + 1] = value
    private final int mask;
    private final int shift;

    /** A table that holds up to {@code entries} at a load of at most 1/2. */
    LongIntTable(int entries) {
        int capacity = Integer.highestOneBit(Math.max(2, entries) * 2 - 1) << 1;
        slots = new long[2 * capacity];
        Arrays.fill(slots, EMPTY);
        mask = capacity - 1;
        shift = Long.SIZE - Integer.numberOfTrailingZeros(capacity);
    }

    /** Fibonacci hashing: the top bits of a multiply, so consecutive keys land far apart. */
    private int home(long key) {
        return (int) ((key * 0x9E37_79B9_7F4A_7C15L) >>> shift);
    }

    /** The value of {@code key}, or -1. */
    int get(long key) {
        for (int i = home(key); ; i = (i + 1) & mask) {
            long k = slots[2 * i];
            if (k == key) {
                return (int) slots[2 * i + 1];
            }
            if (k == EMPTY) {
                return -1;
            }
        }
    }

    /** Maps {@code key}, which must be absent, to {@code value}. */
    void putAbsent(long key, int value) {
        int i = home(key);
        while (slots[2 * i] != EMPTY) {
            i = (i + 1) & mask;
        }
        slots[2 * i] = key;
        slots[2 * i + 1] = value;
    }

    /** Removes {@code key}, which must be present. */
    void remove(long key) {
        int hole = home(key);
        while (slots[2 * hole] != key) {
            hole = (hole + 1) & mask;
        }
        // Shift back every later entry of the run whose home is not cyclically in (hole, j]:
        // it probed past the hole, and a lookup for it would otherwise stop there.
        for (int j = (hole + 1) & mask; slots[2 * j] != EMPTY; j = (j + 1) & mask) {
            int h = home(slots[2 * j]);
            boolean reachable = hole <= j ? hole < h && h <= j : hole < h || h <= j;
            if (!reachable) {
                slots[2 * hole] = slots[2 * j];
                slots[2 * hole + 1] = slots[2 * j + 1];
                hole = j;
            }
        }
        slots[2 * hole] = EMPTY;
    }
}
