package io.blockhaus.engine.cache;

import java.util.concurrent.atomic.LongAdder;

/**
 * Why a thread that must not wait (an event loop filling a miss) gave a read up to a worker, and
 * how often: one counter per {@link Reason}, over the whole engine.
 *
 * <p>Why count: a give-up is not an error, the worker reads the same pages, but it costs a
 * thread hop and a queue on a 2-core machine, and which mutex was busy tells what to shorten.
 * The 4 KiB random-read row measured 2 % below the build before the loop stopped waiting for
 * mutexes (issue 11); these counts are what showed where its hand-offs came from
 * (docs/benchmarks/rows-2026-12-06.md). A {@link LongAdder} per reason: an increment is a
 * thread-local cell's add, and only give-ups (never a successful fill) pay it. The metrics
 * package reads them at scrape time ({@code blockhaus.cache.nonblocking.giveups}, tag
 * {@code reason} = {@link Reason#label()}, docs/metrics.md); the engine knows no meters.
 */
public final class NonBlockingGiveUps {
    /** What made the non-blocking read give up. */
    public enum Reason {
        /** The budget was full and the clock's mutex stayed busy, so nothing could be reclaimed. */
        CLOCK_BUSY,
        /** The budget was full and the clock found nothing clean to evict within its waste bound. */
        NOTHING_EVICTABLE,
        /** The pool's mutex stayed busy (or its free list was empty) and no frame had been returned. */
        POOL_EMPTY_OR_BUSY,
        /** Another thread indexed the page first. */
        LOST_RACE,
        /** The store did not have the bytes in memory (the kernel would have read the disk). */
        NOT_IN_MEMORY,
        /** ADD on the range could not be had at once (BLOCK held or awaited). */
        ADD_BUSY,
        /** A cached page of the read was locked, or was being removed. */
        PAGE_BUSY,
        /** The read needed more absent pages than one non-blocking call may fill. */
        FILL_BUDGET;

        /** The name as a metrics tag value: lower case, words joined by '-' ({@code clock-busy}). */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    private static final Reason[] REASONS = Reason.values();

    private final LongAdder[] counts = new LongAdder[REASONS.length];

    public NonBlockingGiveUps() {
        for (int i = 0; i < counts.length; i++) {
            counts[i] = new LongAdder();
        }
    }

    public void count(Reason r) {
        counts[r.ordinal()].increment();
    }

    /** Give-ups for {@code r} so far. */
    public long of(Reason r) {
        return counts[r.ordinal()].sum();
    }

    /** Give-ups for every reason so far. */
    public long total() {
        long n = 0;
        for (LongAdder c : counts) {
            n += c.sum();
        }
        return n;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("give-ups");
        for (Reason r : REASONS) {
            b.append(' ').append(r.name().toLowerCase(java.util.Locale.ROOT)).append('=').append(of(r));
        }
        return b.toString();
    }
}
