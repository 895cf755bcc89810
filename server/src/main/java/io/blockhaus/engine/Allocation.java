package io.blockhaus.engine;

/**
 * One run of a volume's allocation map, as {@link Handle#blockStatus} reports it: data, a hole,
 * or allocated space that reads as zeroes. The engine's own type, so front ends see block status
 * in the engine's words and never the store's.
 *
 * @param offset first byte
 * @param length number of bytes, always positive
 * @param hole   the run is unallocated (a hole always reads as zeroes)
 * @param zero   the run reads as zeroes: every hole, and allocated space zeroed without being
 *               written (an "unwritten" extent after a zero-range fallocate)
 */
public record Allocation(long offset, long length, boolean hole, boolean zero) {
    public Allocation {
        if (offset < 0 || length <= 0) {
            throw new IllegalArgumentException("bad allocation run " + offset + "+" + length);
        }
        if (hole && !zero) {
            throw new IllegalArgumentException("a hole always reads as zeroes");
        }
    }

    public long end() {
        return offset + length;
    }
}
