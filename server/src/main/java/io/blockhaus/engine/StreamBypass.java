package io.blockhaus.engine;

import io.blockhaus.engine.call.CallBudget;
import io.blockhaus.engine.cache.Page;
import io.blockhaus.engine.cache.PageCache;
import io.blockhaus.engine.events.InvalidationReason;
import io.blockhaus.engine.lock.PagecacheLock;
import io.blockhaus.engine.store.NativeIo;
import io.blockhaus.engine.store.Pipe;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Large buffered transfers go straight between the caller's buffer and the store instead of
 * through new cache pages, the way bcache's sequential cutoff keeps streams out of its cache.
 *
 * <p>Why: a streaming reader or writer gains nothing from caching what it moves (it will not
 * come back to the data soon, and the kernel's page cache under a file store keeps it anyway),
 * while inserting it costs a page allocation, an index update and a copy per page and evicts
 * everyone else's working set.
 *
 * <p>Why it stays coherent: the transfer holds BLOCK on its range, as direct I/O does, so no
 * page can be added there meanwhile, and it locks the pages of the range that <em>are</em>
 * cached for its whole length, so none is written back, evicted or changed under it. A read
 * takes the store's bytes and lays the cached pages over them (they are at least as new). A
 * write goes to the store, then into the cached pages, which are then clean: nothing is shot
 * down, mappings see the new bytes in place as after any buffered write, and if the store write
 * fails the pages keep what they held. Writes must cover whole pages (partial pages need the
 * cache's read-modify-write).
 *
 * <p>BLOCK is only <em>tried</em>: when pages are being added (ADD held or awaited) on the range,
 * which under {@code two-state} means anywhere in the volume, the transfer takes the cache path
 * instead of making those adders wait. Measured with a stream next to random misses: waiting
 * for BLOCK cost the random reader 30 % of its IOPS under two-state; with the range lock the
 * bypass helped both (docs/benchmarks.md, "Streaming next to random reads").
 */
final class StreamBypass {
    private StreamBypass() {
    }

    /** The read, done around the cache (the caller has checked the range); false (nothing done) if BLOCK is busy. */
    static boolean read(Volume v, long offset, ByteBuffer dst, CallBudget call) {
        int len = dst.remaining();
        long first = v.firstPage(offset);
        long end = v.endPage(offset, len);
        PageCache c = v.cache();
        try (Volume.ResizeHold r = v.resizeShared(call); PagecacheLock.Hold hold = v.tryBlock(first, end)) {
            if (hold == null) {
                return false;
            }
            v.checkRange(offset, len, false);
            List<Page> cached = c.lockCachedIn(first, end);
            try {
                int start = dst.position();
                v.store().read(offset, dst);
                for (Page p : cached) {
                    if (!p.isUptodate()) {
                        continue; // cannot happen under BLOCK (creators finish first); never copy garbage
                    }
                    long pageStart = c.offsetOf(p.index());
                    long from = Math.max(pageStart, offset);
                    long to = Math.min(pageStart + c.pageSize(), offset + len);
                    dst.put(start + (int) (from - offset), p.buffer(), (int) (from - pageStart), (int) (to - from));
                }
            } finally {
                PageCache.unlockAll(cached);
            }
            return true;
        }
    }

    /**
     * The read as a range of the store's file for the front end to send with sendfile(2), or null
     * (then the caller reads as usual): only where the store has such a file, no page of the
     * range is dirty, and the file's bytes are in the kernel's page cache (so the send, which may
     * run on an event loop, waits for no disk; a range that is not is read by the caller, on a
     * thread that may wait). Clean cached pages do not matter: a page is marked clean only after the
     * store write that made it so returned, and every completed write is in a dirty page or in
     * the store, so the file holds every byte written before this call. That is also why no
     * pagecache lock is taken: BLOCK keeps pages from being added, and adding a page (a read of
     * the file into the cache) changes nothing the file holds; requiring it only sent streams to
     * the copying path whenever a random reader was adding pages.
     *
     * <p>The kernel reads the bytes when it sends them, later: a write that runs meanwhile may
     * show through, which is only sound for a front end whose concurrent requests have no order
     * (NBD: a READ and a WRITE both in flight may be done in either order).
     */
    static FileRange fileRange(Volume v, long offset, int len, CallBudget call) {
        java.nio.channels.FileChannel ch = v.store().channelForSending();
        if (ch == null) {
            return null;
        }
        try (Volume.ResizeHold r = v.resizeShared(call)) {
            v.checkRange(offset, len, false);
            return v.cache().anyDirtyIn(v.firstPage(offset), v.endPage(offset, len))
                    || !v.store().isInMemory(offset, len) ? null : new FileRange(ch, offset, len);
        }
    }

    /** The write, done around the cache; false (nothing written) unless it covers whole pages and BLOCK is free. */
    static boolean write(Volume v, long offset, ByteBuffer[] srcs, CallBudget call) {
        long len = BufferedIo.remaining(srcs);
        return writeAround(v, offset, len, call, cached -> {
            PageCache c = v.cache();
            ByteBuffer[] view = new ByteBuffer[srcs.length];
            for (int i = 0; i < srcs.length; i++) {
                view[i] = srcs[i].duplicate();
            }
            v.store().write(offset, srcs);
            GatherCursor from = new GatherCursor(view);
            for (Page p : cached) {
                from.copyTo(c.offsetOf(p.index()) - offset, p.buffer(), c.pageSize());
                p.changedInPlace(null);
                c.markWrittenBack(p);
            }
            return true;
        });
    }

    /**
     * The write of {@code piped} bytes waiting in {@code pipe}, spliced from the pipe into the store
     * (no copy through the JVM), followed by {@code rest}'s bytes (usually none: those of a payload
     * that had only partly arrived when the pipe was filled), written under the same BLOCK; false, with the pipe untouched, under the same conditions as
     * {@link #write} or when the store cannot splice. Cached pages of the range cannot be filled
     * from the pipe (its bytes never reach us). Once the store holds the new bytes, those that no
     * mapping shows are removed, dirty or not, since the write covered them whole (it is a
     * stream: like its reads, it does not keep what it passes); mapped ones are read back from
     * the store, still locked, so mappings see the new bytes in place and are told to drop their copies (if that read fails they
     * are removed rather than left older than the store). Removing is what keeps a stream over
     * a scattered working set cheap: reading each page back was one system call per page.
     */
    static boolean writeFromPipe(Volume v, long offset, Pipe pipe, long piped, ByteBuffer[] rest, CallBudget call) {
        return writeAround(v, offset, piped + BufferedIo.remaining(rest), call, cached -> {
            if (!v.store().writeFrom(offset, pipe, piped)) {
                return false;
            }
            try {
                if (rest.length > 0) {
                    v.store().write(offset + piped, rest); // the part that had not arrived when the pipe was filled
                }
            } finally {
                dropStale(v, cached); // the store changed, whether or not the rest's write did
            }
            return true;
        });
    }

    /**
     * After a store write over whole pages: the cached ones that no mapping shows are removed
     * (dirty or not: stale now), mapped ones read back from the store.
     */
    private static void dropStale(Volume v, List<Page> cached) {
        List<Page> mapped = new ArrayList<>();
        for (Page p : cached) {
            if (p.mapCount() > 0) {
                mapped.add(p);
            } else {
                v.cache().remove(p); // stale now; still locked, unlocked with the rest
            }
        }
        v.cache().reportInvalidated(InvalidationReason.WRITE_AND_INVALIDATE, cached.size() - mapped.size(), 0);
        refreshFromStore(v, mapped);
    }

    /** What a write around the cache does with BLOCK held and the range's cached pages locked; false if nothing. */
    private interface LockedWrite {
        boolean apply(List<Page> cached);
    }

    /**
     * The frame both writes share: whole pages only, BLOCK only tried, the range checked under it,
     * the cached pages locked (ascending) for the body and released after it.
     */
    private static boolean writeAround(Volume v, long offset, long len, CallBudget call, LockedWrite body) {
        PageCache c = v.cache();
        int ps = c.pageSize();
        if (offset % ps != 0 || len % ps != 0) {
            return false;
        }
        long first = v.firstPage(offset);
        long end = v.endPage(offset, len);
        try (Volume.ResizeHold r = v.resizeShared(call); PagecacheLock.Hold hold = v.tryBlock(first, end)) {
            if (hold == null) {
                return false;
            }
            v.checkRange(offset, len, true);
            List<Page> cached = c.lockCachedIn(first, end);
            try {
                if (!body.apply(cached)) {
                    return false;
                }
            } finally {
                PageCache.unlockAll(cached);
            }
            return true;
        }
    }

    /** Makes locked pages (ascending) equal to the store again, one scatter read per run of neighbours. */
    private static void refreshFromStore(Volume v, List<Page> pages) {
        PageCache c = v.cache();
        int ps = c.pageSize();
        int i = 0;
        while (i < pages.size()) {
            int j = i + 1;
            while (j < pages.size() && pages.get(j).index() == pages.get(j - 1).index() + 1
                    && j - i < NativeIo.IOV_MAX) {
                j++;
            }
            List<Page> run = pages.subList(i, j);
            ByteBuffer[] views = new ByteBuffer[run.size()];
            for (int k = 0; k < views.length; k++) {
                views[k] = run.get(k).buffer().slice(0, ps);
            }
            try {
                v.store().read(c.offsetOf(run.getFirst().index()), views);
            } catch (RuntimeException e) {
                pages.subList(i, pages.size()).forEach(c::remove);
                throw e;
            }
            for (Page p : run) {
                p.changedInPlace(null);
                c.markWrittenBack(p);
            }
            i = j;
        }
    }

    /** Reads the bytes of a gather list forward, by absolute position in their concatenation. */
    private static final class GatherCursor {
        private final ByteBuffer[] bufs;
        private int buf;
        private long bufStart; // position in the concatenation of bufs[buf]'s first byte

        GatherCursor(ByteBuffer[] bufs) {
            this.bufs = bufs;
        }

        /** Copies {@code n} bytes from concatenation position {@code pos} (never less than the last) into {@code dst}[0, n). */
        void copyTo(long pos, ByteBuffer dst, int n) {
            int done = 0;
            while (done < n) {
                ByteBuffer b = bufs[buf];
                long inBuf = pos + done - bufStart;
                if (inBuf >= b.remaining()) {
                    bufStart += b.remaining();
                    buf++;
                    continue;
                }
                int k = (int) Math.min(n - done, b.remaining() - inBuf);
                dst.put(done, b, b.position() + (int) inBuf, k);
                done += k;
            }
        }
    }
}
