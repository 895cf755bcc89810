package io.blockhaus.engine.store;

/**
 * A run of bytes of one kind: data, allocated zeroes, or a hole.
 *
 * @param offset first byte
 * @param length number of bytes, always positive
 * @param hole   true when the run is unallocated (a hole always reads as zeroes)
 * @param zero   true when the run reads as zeroes: every hole, and allocated space that was
 *               zeroed without being written (an "unwritten" extent after fallocate ZERO_RANGE)
 */
public record Extent(long offset, long length, boolean hole, boolean zero) {
    public Extent {
        if (offset < 0 || length <= 0) {
            throw new IllegalArgumentException("bad extent " + offset + "+" + length);
        }
        if (hole && !zero) {
            throw new IllegalArgumentException("a hole always reads as zeroes");
        }
    }

    /** A hole, or data. */
    public Extent(long offset, long length, boolean hole) {
        this(offset, length, hole, hole);
    }

    public long end() {
        return offset + length;
    }

    /** Same kind as {@code o} (so the two may be merged when adjacent). */
    public boolean sameKind(Extent o) {
        return hole == o.hole && zero == o.zero;
    }
}
