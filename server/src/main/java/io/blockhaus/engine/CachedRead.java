package io.blockhaus.engine;

import io.blockhaus.engine.call.CallBudget;
import io.blockhaus.engine.cache.Page;
import io.blockhaus.engine.cache.PageCache;
import io.blockhaus.engine.cache.PageReservation;
import io.blockhaus.engine.lock.PagecacheLock;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * The buffered read through the page cache, for a caller that may wait: a cached page is copied
 * under its page lock alone (no volume-level lock: the fast path DESIGN.md requires); a miss
 * inserts the absent run under ADD, fills it from the store in one read extended by readahead,
 * and copies out before unlocking, so a reader always makes progress however small the cache.
 *
 * <p>Its waits (page locks, memory, ADD) are bounded by the caller's {@link CallBudget}
 * throughout: a read changes nothing a client can see (pages it added stay cached, as after any
 * read), so it may give up at any wait. Readahead is decided by the handle's
 * {@link ReadaheadState}; the synchronous part rides on the miss's own store read, the
 * asynchronous part ({@link Readahead#startAsync}) runs once the read is done.
 */
final class CachedRead {
    private CachedRead() {
    }

    /** The read of {@code dst.remaining()} (not zero) bytes at {@code offset}, already checked against the volume. */
    static void read(Handle h, long offset, ByteBuffer dst, CallBudget call) {
        Volume v = h.volume();
        PageCache c = v.cache();
        ReadaheadState ra = h.readahead();
        int len = dst.remaining();
        long end = offset + len;
        long firstIdx = v.firstPage(offset);
        long endIdx = v.endPage(offset, len);
        long pos = offset;
        ReadaheadState.Window async = null;
        // Counted here and reported once per read: the listener costs one call however long the read.
        int hits = 0;
        int usedAhead = 0;
        while (pos < end) {
            long idx = c.indexOf(pos);
            Page p = c.lookupLocked(idx, call);
            if (p != null) {
                try {
                    pos += PageCopy.copyOut(c, p, pos, end, dst);
                    hits++;
                    if (p.takeReadAhead()) {
                        usedAhead++;
                    }
                } finally {
                    p.unlock();
                }
                ReadaheadState.Window w = ra.onHit(idx);
                if (w != null) {
                    async = w;
                }
                continue;
            }
            long raEnd = Math.min(ra.onMiss(idx, firstIdx, endIdx), v.pageCount());
            pos = readMiss(v, idx, Math.max(raEnd, idx + 1), endIdx, pos, end, dst, h.noReuse(), call);
        }
        reportHits(c, hits, usedAhead);
        ra.completed(endIdx);
        if (async != null) {
            Readahead.startAsync(v, async.first(), async.end());
        }
    }

    /** One listener call per read, and none when nothing was hit (a read made only of misses). */
    static void reportHits(PageCache c, int hits, int usedAhead) {
        if (hits != 0) {
            c.events().hits(hits);
        }
        if (usedAhead != 0) {
            c.readaheadEvents().used(usedAhead);
        }
    }

    /**
     * Fills the absent run at {@code idx} under ADD and copies what the read needs from it. Its
     * memory is reserved before ADD, so nothing waits for memory holding it.
     */
    private static long readMiss(Volume v, long idx, long raEnd, long endIdx, long pos, long end, ByteBuffer dst,
            boolean noReuse, CallBudget call) {
        PageCache c = v.cache();
        try (PageReservation mem = c.reserve(idx, raEnd, true, call);
                PagecacheLock.Hold hold = v.add(idx, raEnd, call)) {
            v.checkRange(pos, end - pos, false); // a truncate may have run while we waited
            List<Page> run = c.insertAbsent(idx, raEnd, mem);
            try {
                c.fill(run);
                reportFilled(c, run, endIdx);
                pos = PageCopy.copyOutRun(c, run, noReuse, pos, end, dst);
            } finally {
                PageCache.unlockAll(run);
            }
        }
        return pos;
    }

    /**
     * A read's miss filled {@code run}: its pages before {@code endIdx} are the read's misses,
     * the rest were read ahead (marked, so a later read counts them used, an eviction wasted).
     * The run is contiguous and ascending, so the split is arithmetic.
     */
    private static void reportFilled(PageCache c, List<Page> run, long endIdx) {
        if (run.isEmpty()) {
            return;
        }
        int demand = (int) Math.clamp(endIdx - run.getFirst().index(), 0, run.size());
        c.events().misses(demand);
        if (demand < run.size()) {
            for (int i = demand; i < run.size(); i++) {
                run.get(i).setReadAhead();
            }
            c.readaheadEvents().window(run.size() - demand);
        }
    }
}
