package io.blockhaus.engine;

import io.blockhaus.engine.cache.Page;
import io.blockhaus.engine.cache.PageCache;
import io.blockhaus.engine.errno.ErrnoException;
import io.blockhaus.engine.lock.PagecacheLock;
import java.util.List;

/**
 * Reading pages in ahead of use: the asynchronous part of ondemand readahead, fadvise WILLNEED
 * and NBD_CMD_CACHE. It runs inside the ADD domain (DESIGN.md rule 5): every run of pages it
 * inserts is inserted and filled under ADD on exactly those pages, so it can never race a punch
 * hole or truncate into resurrecting stale data. It never waits for memory: past what reclaim
 * frees on the spot it stops, because readahead is a hint.
 */
final class Readahead {
    /** Pages one ADD acquisition covers, so a long WILLNEED does not hold BLOCK waiters off for its whole length. */
    private static final int CHUNK_PAGES = 64;

    private Readahead() {
    }

    /** Queues {@code [first, end)} for the background pool (dropped when the queue is full). */
    static void startAsync(Volume v, long first, long end) {
        v.engine().readahead(() -> {
            try {
                populate(v, first, end);
            } catch (ErrnoException e) {
                // A hint that failed (volume closed, lock timeout, store error): the read that
                // needs the data will report the error itself.
            }
        });
    }

    /** Like {@link #startAsync}, but dropped rather than run inline when there is no pool. */
    static void queueAsync(Volume v, long first, long end) {
        v.engine().readaheadIfQueued(() -> {
            try {
                populate(v, first, end);
            } catch (ErrnoException e) {
                // a hint, as in startAsync
            }
        });
    }

    /**
     * Reads the absent pages of {@code [first, end)} into the cache (clipped to the volume's
     * current end, and to a quarter of the cache so a huge WILLNEED cannot flush everything
     * else). Returns the number of pages inserted.
     */
    static long populate(Volume v, long first, long end) {
        PageCache c = v.cache();
        long limit = Math.max(1, c.system().limitBytes() / c.pageSize() / 4);
        long inserted = 0;
        long idx = first;
        while (inserted < limit) {
            // One read of the size per chunk: a truncate between two reads made [idx, chunkEnd)
            // backwards (ConcurrencyStressTest's chaos thread found it).
            long stop = Math.min(end, v.pageCount());
            if (idx >= stop) {
                break;
            }
            long chunkEnd = Math.min(stop, idx + CHUNK_PAGES);
            try (PagecacheLock.Hold hold = v.add(idx, chunkEnd)) {
                chunkEnd = Math.min(chunkEnd, v.pageCount());
                while (idx < chunkEnd) {
                    if (c.get(idx) != null) {
                        idx++;
                        continue;
                    }
                    List<Page> run = c.insertAbsent(idx, chunkEnd, null);
                    if (run.isEmpty()) {
                        if (c.get(idx) == null) {
                            return reportWindow(c, inserted); // out of memory that reclaim could free: stop
                        }
                        continue;
                    }
                    try {
                        c.fill(run);
                        for (Page p : run) {
                            p.setReadAhead(); // still locked: no read can have used it yet
                        }
                    } finally {
                        PageCache.unlockAll(run);
                    }
                    inserted += run.size();
                    idx += run.size();
                }
            }
        }
        return reportWindow(c, inserted);
    }

    /** A window that read pages is counted once, with them (one that found everything cached is not). */
    private static long reportWindow(PageCache c, long inserted) {
        if (inserted > 0) {
            c.readaheadEvents().window((int) Math.min(inserted, Integer.MAX_VALUE));
        }
        return inserted;
    }
}
