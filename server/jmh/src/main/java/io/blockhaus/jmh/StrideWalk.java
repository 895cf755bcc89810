package io.blockhaus.jmh;

/**
 * The page order of the full-budget miss benchmarks: every page of a power-of-two page count once
 * per lap, by a large odd stride. Odd, so it is coprime with the page count: the walk visits every
 * page once per lap, scattered, and a page comes back only after the whole volume (four times the
 * cache in those benchmarks) has been read, so every read misses. One benchmark thread's state.
 */
final class StrideWalk {
    private final long pageMask;
    private final long stride;
    private long next;

    /** @param pages the volume's page count, a power of two */
    StrideWalk(long pages) {
        if (Long.bitCount(pages) != 1) {
            throw new IllegalArgumentException("page count must be a power of two: " + pages);
        }
        this.pageMask = pages - 1;
        this.stride = (pages / 3 + 12_345) | 1;
    }

    /** The next page to read. */
    long next() {
        long page = next;
        next = (next + stride) & pageMask;
        return page;
    }
}
