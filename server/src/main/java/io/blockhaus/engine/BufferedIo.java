package io.blockhaus.engine;

import io.blockhaus.engine.call.CallBudget;
import io.blockhaus.engine.cache.NonBlockingGiveUps;
import io.blockhaus.engine.cache.Page;
import io.blockhaus.engine.cache.PageCache;
import io.blockhaus.engine.cache.PageReservation;
import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import io.blockhaus.engine.lock.PagecacheLock;
import io.blockhaus.engine.store.Pipe;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Buffered read and write through the page cache.
 *
 * <p>A page already in the cache is copied under its page lock alone: no volume-level lock (the
 * fast path DESIGN.md requires). A miss takes ADD on the pages it inserts, inserts them locked,
 * fills them from the store in one read (extended by readahead) and copies out before unlocking,
 * so a reader always makes progress however small the cache. A write to an absent page does the
 * same, reading only the partial pages at its edges (read-modify-write).
 */
final class BufferedIo {
    private BufferedIo() {
    }

    /**
     * The read, its waits bounded by the caller's {@link CallBudget} throughout: a read changes
     * nothing a client can see (pages it added stay cached, as after any read), so it may give
     * up at any wait.
     */
    static void read(Handle h, long offset, ByteBuffer dst) {
        CallBudget call = CallBudget.current();
        Volume v = h.volume();
        v.checkOpen();
        int len = dst.remaining();
        v.checkRange(offset, len, false);
        if (len == 0) {
            return;
        }
        PageCache c = v.cache();
        ReadaheadState ra = h.readahead();
        long end = offset + len;
        long firstIdx = v.firstPage(offset);
        long endIdx = v.endPage(offset, len);
        // A large read whose first page is cached is more likely a re-read than a stream.
        if (bypasses(v, len) && c.get(firstIdx) == null && StreamBypass.read(v, offset, dst, call)) {
            ra.completed(endIdx);
            return;
        }
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
                    pos += copyOut(c, p, pos, end, dst);
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

    /** Pages one call of {@link #readWithoutWaiting} may insert: bounds the work a non-blocking caller does. */
    static final int MAX_NONBLOCKING_FILL_PAGES = 16;

    /**
     * The read, if it can be done right now without waiting: every page it needs is either cached
     * and free, or absent and its bytes are in memory below us (the kernel's page cache, read
     * with RWF_NOWAIT), the latter only for requests of at most
     * {@link #MAX_NONBLOCKING_FILL_PAGES} pages. Otherwise false
     * with {@code dst}'s position unchanged (its bytes may have been written). Page locks and ADD
     * are tried, never awaited, and memory is only taken from clean pages, so a front end may
     * call it on a thread that must not block (an event loop) and fall back to {@link #read}
     * elsewhere. Pages it filled stay cached even when it gives up later. Readahead it triggers
     * is queued, never run inline.
     */
    static boolean readWithoutWaiting(Handle h, long offset, ByteBuffer dst) {
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
        int fillBudget = endIdx - firstIdx <= MAX_NONBLOCKING_FILL_PAGES ? MAX_NONBLOCKING_FILL_PAGES : 0;
        ReadaheadState.Window async = null;
        // As in read(). A read that gives up reports no hits (the worker's read of the same
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
                    reportHits(c, 0, usedAhead); // the worker's read counts the hits; the flags taken are used
                    return false;
                }
                fillBudget -= (int) (v.endPage(before, pos - before) - idx);
                firstMiss = firstMiss < 0 ? idx : firstMiss;
                continue;
            }
            if (!p.tryLock()) {
                c.system().giveUps().count(NonBlockingGiveUps.Reason.PAGE_BUSY);
                dst.position(start);
                reportHits(c, 0, usedAhead); // as above
                return false;
            }
            try {
                if (!p.isPageOf(c, idx)) { // removed or re-keyed since the lookup (see Page)
                    c.system().giveUps().count(NonBlockingGiveUps.Reason.PAGE_BUSY);
                    dst.position(start);
                    reportHits(c, 0, usedAhead); // the worker's read counts the hits; the flags taken are used
                    return false;
                }
                p.touch();
                pos += copyOut(c, p, pos, end, dst);
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
        reportHits(c, hits, usedAhead);
        if (async != null) {
            Readahead.queueAsync(v, async.first(), async.end());
        }
        return true;
    }

    /** One listener call per read, and none when nothing was hit (a read made only of misses). */
    private static void reportHits(PageCache c, int hits, int usedAhead) {
        if (hits != 0) {
            c.events().hits(hits);
        }
        if (usedAhead != 0) {
            c.readaheadEvents().used(usedAhead);
        }
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
                pos = copyOutRun(c, run, noReuse, pos, end, dst);
            } finally {
                PageCache.unlockAll(run);
            }
        }
        return pos;
    }

    /** Writes longer than this are never tried inline: they would hold too many page locks at once. */
    static final int MAX_INLINE_WRITE_PAGES = 16;

    /**
     * The buffered write (no FUA), if every page it touches is cached and free right now and
     * dirty memory is below the throttling mark; otherwise false with nothing written and
     * {@code src} untouched. All its pages are locked (tried, ascending) and marked dirty (the
     * dirty index only tried) before any byte is copied, so it is all or nothing, and it never
     * waits, for a mutex either, or does I/O.
     */
    static boolean writeIfCached(Handle h, long offset, ByteBuffer src) {
        Volume v = h.volume();
        int len = src.remaining();
        if (v.isClosed() || v.readOnly() || offset < 0 || len == 0 || offset + len > v.size()
                || offset + len < 0) {
            return false;
        }
        PageCache c = v.cache();
        long first = v.firstPage(offset);
        long endIdx = v.endPage(offset, len);
        if (endIdx - first > MAX_INLINE_WRITE_PAGES || c.system().dirtyOverHardLimit()) {
            return false;
        }
        Page[] pages = new Page[(int) (endIdx - first)];
        int locked = 0;
        try {
            for (; locked < pages.length; locked++) {
                Page p = c.get(first + locked);
                if (p == null || !p.tryLock()) {
                    return false;
                }
                pages[locked] = p;
                if (!p.isPageOf(c, first + locked) || p.mapCount() > 0) { // gone or re-keyed (see Page)
                    // A mapped page's mappings must be recalled before the write completes, and
                    // that waits for their owners: not on this (event-loop) thread.
                    locked++;
                    return false;
                }
            }
            if (offset + len > v.size() || !c.tryMarkDirty(pages)) {
                return false; // truncated meanwhile, or the dirty index is busy
            }
            long pos = offset;
            for (Page p : pages) {
                int inPage = (int) (pos - c.offsetOf(p.index()));
                int n = (int) Math.min(c.pageSize() - inPage, offset + len - pos);
                copyIn(c, p, inPage, n, src);
                pos += n;
            }
            return true;
        } finally {
            for (int i = 0; i < locked; i++) {
                pages[i].unlock();
            }
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
                pos = copyOutRun(c, run, noReuse, pos, end, dst);
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

    /** Whether a transfer this long goes around the cache (see {@link StreamBypass}). */
    private static boolean bypasses(Volume v, long len) {
        int threshold = v.config().bypassBytes();
        return threshold > 0 && len >= threshold;
    }

    /**
     * Copies what the read needs from a freshly filled, locked run (it may extend past the read:
     * readahead) and returns the new position. With {@code noReuse} (fadvise NOREUSE on the
     * handle) its pages are marked to be evicted first.
     */
    private static long copyOutRun(PageCache c, List<Page> run, boolean noReuse, long pos, long end, ByteBuffer dst) {
        for (int i = 0; i < run.size(); i++) { // indexed: no iterator per miss
            Page p = run.get(i);
            if (noReuse) {
                p.setNoReuse(true);
            }
            if (pos < end && c.indexOf(pos) == p.index()) {
                pos += copyOut(c, p, pos, end, dst);
            }
        }
        return pos;
    }

    private static int copyOut(PageCache c, Page p, long pos, long end, ByteBuffer dst) {
        int inPage = (int) (pos - c.offsetOf(p.index()));
        int n = (int) Math.min(c.pageSize() - inPage, end - pos);
        dst.put(dst.position(), p.buffer(), inPage, n);
        dst.position(dst.position() + n);
        return n;
    }

    static void write(Handle h, long offset, ByteBuffer src) {
        write(h, offset, src, CallBudget.current());
    }

    /**
     * The write, its waits bounded by {@code call} until its first change (a byte copied into a
     * page, or the bypass's store write): its last cancellation point is the last wait before
     * that, so a cancelled call never leaves it half-done. After it, {@link CallBudget#NONE}.
     */
    private static void write(Handle h, long offset, ByteBuffer src, CallBudget call) {
        Volume v = h.volume();
        v.checkOpen();
        v.checkWritable();
        int len = src.remaining();
        v.checkRange(offset, len, true);
        if (len == 0) {
            return;
        }
        PageCache c = v.cache();
        if (bypasses(v, len) && StreamBypass.write(v, offset, new ByteBuffer[] {src}, call)) {
            return;
        }
        long end = offset + len;
        long endIdx = v.endPage(offset, len);
        long pos = offset;
        while (pos < end) {
            c.system().balanceDirty(c, call);
            long idx = c.indexOf(pos);
            Page p = c.lookupLocked(idx, call);
            if (p != null) {
                try {
                    int inPage = (int) (pos - c.offsetOf(idx));
                    int n = (int) Math.min(c.pageSize() - inPage, end - pos);
                    if (pos + n > v.size()) {
                        throw truncatedUnder(v, pos, n);
                    }
                    copyIn(c, p, inPage, n, src);
                    pos += n;
                } finally {
                    p.unlock();
                }
                call = CallBudget.NONE; // changed: from here on the write completes
                continue;
            }
            pos = writeMiss(v, idx, endIdx, pos, end, src, call);
            call = CallBudget.NONE;
        }
    }

    /** See {@link FastPaths#readAsFileRange}: only a stream (bypass-sized) over nothing dirty. */
    static FileRange readAsFileRange(Handle h, long offset, int len) {
        Volume v = h.volume();
        v.checkOpen();
        v.checkRange(offset, len, false);
        if (len == 0 || !bypasses(v, len)) {
            return null;
        }
        FileRange range = StreamBypass.fileRange(v, offset, len, CallBudget.current());
        if (range != null) {
            h.readahead().completed(v.endPage(offset, len));
        }
        return range;
    }

    /** See {@link FastPaths#writeFromPipe}: only ever the streaming bypass, which splices. */
    static boolean writeFromPipe(Handle h, long offset, Pipe pipe, long len) {
        return writeFromPipe(h, offset, pipe, len, NO_BUFFERS);
    }

    private static final ByteBuffer[] NO_BUFFERS = new ByteBuffer[0];

    /** {@link #writeFromPipe(Handle, long, Pipe, long)} of {@code piped} bytes from the pipe, then {@code rest}'s. */
    static boolean writeFromPipe(Handle h, long offset, Pipe pipe, long piped, ByteBuffer[] rest) {
        Volume v = h.volume();
        v.checkOpen();
        v.checkWritable();
        long len = piped + remaining(rest);
        v.checkRange(offset, len, true);
        return piped > 0 && bypasses(v, len) && v.store().writesFromPipes()
                && StreamBypass.writeFromPipe(v, offset, pipe, piped, rest, CallBudget.current());
    }

    /**
     * The gather form: the buffers' bytes in turn, as one write. Each buffer is written as
     * {@link #write(Handle, long, ByteBuffer)} would (FUA is {@link Handle}'s, over the whole range).
     */
    static void write(Handle h, long offset, ByteBuffer[] srcs) {
        CallBudget call = CallBudget.current();
        Volume v = h.volume();
        v.checkOpen();
        v.checkWritable();
        long len = remaining(srcs);
        v.checkRange(offset, len, true);
        if (bypasses(v, len) && StreamBypass.write(v, offset, srcs, call)) {
            return;
        }
        long pos = offset;
        for (ByteBuffer src : srcs) {
            int n = src.remaining();
            write(h, pos, src, call);
            pos += n;
            if (n > 0) {
                call = CallBudget.NONE; // the first buffer changed the volume: the rest follow
            }
        }
    }

    static long remaining(ByteBuffer[] bufs) {
        long n = 0;
        for (ByteBuffer b : bufs) {
            n += b.remaining();
        }
        return n;
    }

    /**
     * Inserts the absent run at {@code idx} under ADD, reading only partial edge pages, and
     * writes into it. Its memory is reserved before ADD, as in {@link #readMiss}.
     */
    private static long writeMiss(Volume v, long idx, long endIdx, long pos, long end, ByteBuffer src,
            CallBudget call) {
        PageCache c = v.cache();
        int ps = c.pageSize();
        try (PageReservation mem = c.reserve(idx, endIdx, true, call);
                PagecacheLock.Hold hold = v.add(idx, endIdx, call)) {
            v.checkRange(pos, end - pos, true);
            List<Page> run = c.insertAbsent(idx, endIdx, mem);
            try {
                for (Page p : run) {
                    long pageStart = c.offsetOf(p.index());
                    boolean covered = pos <= pageStart && end >= pageStart + ps;
                    if (!covered) {
                        c.fill(List.of(p));
                    }
                }
                for (Page p : run) {
                    int inPage = (int) (pos - c.offsetOf(p.index()));
                    int n = (int) Math.min(ps - inPage, end - pos);
                    c.markUptodate(p);
                    copyIn(c, p, inPage, n, src);
                    pos += n;
                }
            } catch (RuntimeException e) {
                c.abort(run);
                throw e;
            } finally {
                PageCache.unlockAll(run);
            }
        }
        return pos;
    }

    private static void copyIn(PageCache c, Page p, int inPage, int n, ByteBuffer src) {
        p.takeReadAhead(); // written before read: neither used nor, when it goes, wasted
        p.buffer().put(inPage, src, src.position(), n);
        src.position(src.position() + n);
        p.changedInPlace(null); // mappings' copies are stale: recalled before the write returns
        c.markDirty(p);
    }

    static ErrnoException truncatedUnder(Volume v, long pos, int n) {
        return new ErrnoException(Errno.ENOSPC, "volume " + v.name() + " was truncated to " + v.size()
                + " bytes while writing " + pos + "+" + n);
    }
}
