package io.blockhaus.engine;

import io.blockhaus.engine.cache.NonBlockingGiveUps;
import io.blockhaus.engine.cache.Page;
import io.blockhaus.engine.cache.PageCache;
import io.blockhaus.engine.lock.PagecacheLock;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * The buffered read for a thread that must not block (an event loop): done right now if every
 * page it needs is cached and free, or absent with its bytes in memory below us (the kernel's
 * page cache, read with RWF_NOWAIT), else given up with the reason counted
 * ({@link NonBlockingGiveUps}) so the front end can hand it to a worker's {@link CachedRead}.
 *
 * <p>Why it is its own path and not {@link CachedRead} with try-locks: everything that waits
 * there is only tried here (page locks, ADD, the readahead state's mutex), memory is taken only
 * from clean pages, a miss is filled only from memory, and only a small request
 * ({@link #MAX_FILL_PAGES}) may fill at all; readahead it triggers is queued, never run inline.
 * Giving up leaves the caller's buffer position where it was; pages it filled stay cached.
 */
final class NonBlockingRead {
    /** Pages one call may insert: bounds the work a non-blocking caller does. */
    static final int MAX_FILL_PAGES = 16;

    private NonBlockingRead() {
    }

    /**
     * The read, if it can be done right now without waiting: every page it needs is either cached
     * and free, or absent and its bytes are in memory below us, the latter only for requests of
     * at most {@link #MAX_FILL_PAGES} pages. Otherwise false with {@code dst}'s position
     * unchanged (its bytes may have been written).
     */
    static boolean read(Handle h, long offset, ByteBuffer dst) {
        Volume v = h.volume();
        int len = dst.remaining();
        if (v.isClosed() || offset < 0 || len == 0 || offset + len > v.size() || offset + len < 0) {
            return false;
        }
        PageCache c = v.cache();
        long end = offset + len;
        long firstIdx = v.firstPage(offset);
        long endIdx = v.endPage(offset, len);
        int start = dst.position();
        long pos = offset;
        long firstMiss = -1;
        // Only a request this small may fill: a larger one would give up halfway, after caching
        // pages that then also keep a streaming read from going around the cache.
        int fillBudget = endIdx - firstIdx <= MAX_FILL_PAGES ? MAX_FILL_PAGES : 0;
        ReadaheadState.Window async = null;
        // As in CachedRead. A read that gives up reports no hits (the worker's read of the same
        // pages will), but the read-ahead flags it took are used.
        int hits = 0;
        int usedAhead = 0;
        while (pos < end) {
            long idx = c.indexOf(pos);
            Page p = c.get(idx);
            if (p == null) {
                long before = pos;
                pos = fillWithoutWaiting(v, idx, Math.min(endIdx, idx + fillBudget), pos, end, dst, h.noReuse());
                if (pos < 0) {
                    dst.position(start);
                    CachedRead.reportHits(c, 0, usedAhead); // the worker's read counts the hits; the flags taken are used
                    return false;
                }
                fillBudget -= (int) (v.endPage(before, pos - before) - idx);
                firstMiss = firstMiss < 0 ? idx : firstMiss;
                continue;
            }
            if (!p.tryLock()) {
                c.system().giveUps().count(NonBlockingGiveUps.Reason.PAGE_BUSY);
                dst.position(start);
                CachedRead.reportHits(c, 0, usedAhead); // as above
                return false;
            }
            try {
                if (!p.isPageOf(c, idx)) { // removed or re-keyed since the lookup (see Page)
                    c.system().giveUps().count(NonBlockingGiveUps.Reason.PAGE_BUSY);
                    dst.position(start);
                    CachedRead.reportHits(c, 0, usedAhead); // the worker's read counts the hits; the flags taken are used
                    return false;
                }
                p.touch();
                pos += PageCopy.copyOut(c, p, pos, end, dst);
                hits++;
                if (p.takeReadAhead()) {
                    usedAhead++;
                }
            } finally {
                p.unlock();
            }
            ReadaheadState.Window w = h.readahead().tryOnHit(idx);
            if (w != null) {
                async = w;
            }
        }
        ReadaheadState ra = h.readahead();
        if (firstMiss >= 0) {
            long raEnd = Math.min(ra.tryOnMiss(firstMiss, firstIdx, endIdx), v.pageCount());
            if (raEnd > endIdx) {
                async = new ReadaheadState.Window(endIdx, raEnd);
            }
        }
        ra.tryCompleted(endIdx);
        CachedRead.reportHits(c, hits, usedAhead);
        if (async != null) {
            Readahead.queueAsync(v, async.first(), async.end());
        }
        return true;
    }

    /**
     * The non-blocking miss: tries ADD, inserts the absent run at {@code idx} (up to {@code to})
     * with memory from clean pages only, fills it if the store has it in memory, and copies out.
     * Returns the new position, or -1 if anything would have had to wait.
     */
    private static long fillWithoutWaiting(Volume v, long idx, long to, long pos, long end, ByteBuffer dst,
            boolean noReuse) {
        PageCache c = v.cache();
        if (to <= idx) {
            c.system().giveUps().count(NonBlockingGiveUps.Reason.FILL_BUDGET);
            return -1;
        }
        try (PagecacheLock.Hold hold = v.tryAdd(idx, to)) {
            if (hold == null) {
                c.system().giveUps().count(NonBlockingGiveUps.Reason.ADD_BUSY);
                return -1;
            }
            if (end > v.size()) {
                return -1; // truncated meanwhile: the worker's read reports it
            }
            List<Page> run = c.insertAndFillWithoutWaiting(idx, to);
            if (run.isEmpty()) {
                return -1; // no memory without waiting, a busy mutex, not in memory, or inserted meanwhile
            }
            c.events().misses(run.size());
            try {
                pos = PageCopy.copyOutRun(c, run, noReuse, pos, end, dst);
            } finally {
                PageCache.unlockAll(run);
            }
        }
        return pos;
    }
}
