package io.blockhaus.engine.cache;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The one memory budget every volume's pages share, and the dirty-page accounting that drives
 * writeback and throttling. Lock-free counters; whoever cannot reserve reclaims (see
 * {@link CacheSystem}) rather than waiting for another thread, so progress never depends on a
 * background thread being alive.
 */
final class MemoryBudget {
    private final long limit;
    private final long dirtyBackground;
    private final long dirtyHard;
    private final AtomicLong used = new AtomicLong();
    private final AtomicLong dirty = new AtomicLong();

    MemoryBudget(long limit, double backgroundRatio, double hardRatio) {
        this.limit = limit;
        this.dirtyBackground = (long) (limit * backgroundRatio);
        this.dirtyHard = (long) (limit * hardRatio);
    }

    boolean tryReserve(long bytes) {
        long cur;
        do {
            cur = used.get();
            if (cur + bytes > limit) {
                return false;
            }
        } while (!used.compareAndSet(cur, cur + bytes));
        return true;
    }

    void release(long bytes) {
        long now = used.addAndGet(-bytes);
        assert now >= 0 : "page memory accounting went negative";
    }

    void dirtied(long bytes) {
        dirty.addAndGet(bytes);
    }

    void cleaned(long bytes) {
        long now = dirty.addAndGet(-bytes);
        assert now >= 0 : "dirty accounting went negative";
    }

    long limit() {
        return limit;
    }

    long used() {
        return used.get();
    }

    long dirty() {
        return dirty.get();
    }

    boolean overBackground() {
        return dirty.get() > dirtyBackground;
    }

    boolean overHard() {
        return dirty.get() > dirtyHard;
    }

    long backgroundThreshold() {
        return dirtyBackground;
    }

    long hardThreshold() {
        return dirtyHard;
    }
}
