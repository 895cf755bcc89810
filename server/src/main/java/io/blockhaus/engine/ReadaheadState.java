package io.blockhaus.engine;

/**
 * One handle's ondemand readahead, after Linux's mm/readahead.c: a sequential reader's window
 * starts at a few times its request and doubles up to the maximum; the synchronous part is the
 * one larger backing read the miss needs anyway; when the reader reaches the window's trigger
 * mark, the next window is read asynchronously so the reader stays ahead of the disk. Random
 * reads get exactly what they ask for.
 *
 * <p>A handle serves many concurrent requests (one NBD connection has many in flight), so the
 * state is guarded by this object's monitor; the critical sections are a few comparisons.
 */
final class ReadaheadState {
    /** A planned asynchronous readahead: pages {@code [first, end)}. */
    record Window(long first, long end) {
    }

    private final int configuredMax;
    // guarded by this
    private Advice mode = Advice.NORMAL;
    private long prevEnd = -1;
    private long start;
    private long size;
    private long asyncMark = -1;

    ReadaheadState(int configuredMax) {
        this.configuredMax = configuredMax;
    }

    synchronized void setMode(Advice advice) {
        mode = advice;
        if (advice == Advice.RANDOM) {
            size = 0;
            asyncMark = -1;
        }
    }

    synchronized Advice mode() {
        return mode;
    }

    private int max() {
        return mode == Advice.SEQUENTIAL ? 2 * configuredMax : configuredMax;
    }

    /**
     * A read of pages {@code [first, end)} missed at {@code idx}: returns the end of the
     * synchronous read (at least {@code end}).
     */
    synchronized long onMiss(long idx, long first, long end) {
        if (mode == Advice.RANDOM) {
            return end;
        }
        boolean sequential = first == prevEnd || (prevEnd < 0 && first == 0)
                || (size > 0 && idx >= start && idx < start + size);
        if (!sequential) {
            size = 0;
            asyncMark = -1;
            return end;
        }
        long req = end - idx;
        long next = size == 0 ? initialSize(req) : Math.min(2 * size, max());
        start = idx;
        size = Math.max(next, req);
        // Trigger the next window when the reader is halfway through this one.
        asyncMark = start + Math.max(1, size / 2);
        return start + size;
    }

    /** Linux's get_init_ra_size: small requests get a relatively larger first window. */
    private long initialSize(long req) {
        int max = max();
        if (req <= max / 32) {
            return Math.min(4 * req, max);
        }
        if (req <= max / 4) {
            return Math.min(2 * req, max);
        }
        return max;
    }

    /** A cached page {@code idx} was read: the next window to read asynchronously, or null. */
    synchronized Window onHit(long idx) {
        if (asyncMark < 0 || idx < asyncMark || idx >= start + size || mode == Advice.RANDOM) {
            return null;
        }
        long nextStart = start + size;
        long nextSize = Math.min(2 * size, max());
        start = nextStart;
        size = nextSize;
        asyncMark = nextStart; // reaching the new window's first page pulls in the one after
        return new Window(nextStart, nextStart + nextSize);
    }

    synchronized void completed(long end) {
        prevEnd = end;
    }
}
