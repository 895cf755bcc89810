package io.blockhaus.engine;

import java.util.concurrent.locks.ReentrantLock;

/**
 * One handle's ondemand readahead, after Linux's mm/readahead.c: a sequential reader's window
 * starts at a few times its request and doubles up to the maximum; the synchronous part is the
 * one larger backing read the miss needs anyway; when the reader reaches the window's trigger
 * mark, the next window is read asynchronously so the reader stays ahead of the disk. Random
 * reads get exactly what they ask for.
 *
 * <p>A handle serves many concurrent requests (one NBD connection has many in flight), so the
 * state is guarded by a mutex; the critical sections are a few comparisons. A thread that must
 * not wait even for that (an event loop: a holder preempted between two comparisons would stall
 * it) uses the {@code try} forms, which skip the bookkeeping when the mutex is busy: readahead
 * is a hint, and a skipped step costs at most one window planned late or a random read taken
 * for sequential.
 */
final class ReadaheadState {
    /** A planned asynchronous readahead: pages {@code [first, end)}. */
    record Window(long first, long end) {
    }

    private final int configuredMax;
    private final ReentrantLock mutex = new ReentrantLock();
    // guarded by mutex
    private Advice mode = Advice.NORMAL;
    private long prevEnd = -1;
    private long start;
    private long size;
    private long asyncMark = -1;

    ReadaheadState(int configuredMax) {
        this.configuredMax = configuredMax;
    }

    void setMode(Advice advice) {
        mutex.lock();
        try {
            mode = advice;
            if (advice == Advice.RANDOM) {
                size = 0;
                asyncMark = -1;
            }
        } finally {
            mutex.unlock();
        }
    }

    Advice mode() {
        mutex.lock();
        try {
            return mode;
        } finally {
            mutex.unlock();
        }
    }

    private int max() {
        return mode == Advice.SEQUENTIAL ? 2 * configuredMax : configuredMax;
    }

    /**
     * A read of pages {@code [first, end)} missed at {@code idx}: returns the end of the
     * synchronous read (at least {@code end}).
     */
    long onMiss(long idx, long first, long end) {
        mutex.lock();
        try {
            return onMissLocked(idx, first, end);
        } finally {
            mutex.unlock();
        }
    }

    /** {@link #onMiss} if the mutex is free right now; {@code end} (no readahead) otherwise. */
    long tryOnMiss(long idx, long first, long end) {
        if (!mutex.tryLock()) {
            return end;
        }
        try {
            return onMissLocked(idx, first, end);
        } finally {
            mutex.unlock();
        }
    }

    private long onMissLocked(long idx, long first, long end) {
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
    Window onHit(long idx) {
        mutex.lock();
        try {
            return onHitLocked(idx);
        } finally {
            mutex.unlock();
        }
    }

    /** {@link #onHit} if the mutex is free right now; null otherwise. */
    Window tryOnHit(long idx) {
        if (!mutex.tryLock()) {
            return null;
        }
        try {
            return onHitLocked(idx);
        } finally {
            mutex.unlock();
        }
    }

    private Window onHitLocked(long idx) {
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

    void completed(long end) {
        mutex.lock();
        try {
            prevEnd = end;
        } finally {
            mutex.unlock();
        }
    }

    /** {@link #completed} if the mutex is free right now; skipped otherwise. */
    void tryCompleted(long end) {
        if (mutex.tryLock()) {
            try {
                prevEnd = end;
            } finally {
                mutex.unlock();
            }
        }
    }
}
