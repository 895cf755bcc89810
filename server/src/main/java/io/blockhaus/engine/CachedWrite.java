package io.blockhaus.engine;

import io.blockhaus.engine.call.CallBudget;
import io.blockhaus.engine.cache.Page;
import io.blockhaus.engine.cache.PageCache;
import io.blockhaus.engine.cache.PageReservation;
import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import io.blockhaus.engine.lock.PagecacheLock;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * The buffered write into the page cache, for a caller that may wait: a cached page is written
 * under its page lock alone; an absent run is inserted under ADD, reading from the store only
 * the partial pages at its edges (read-modify-write), and written before it is unlocked. Every
 * page written is dirty; writeback takes it from there. Before each cached page or absent run
 * the writer is throttled while dirty memory is over its mark ({@code balanceDirty}).
 *
 * <p>Why its cancellation ends at its first change: a call cancelled after some bytes landed
 * would leave the write half-done, so the caller's {@link CallBudget} bounds only the waits
 * before the first byte is copied into a page; from then on the write completes
 * ({@link CallBudget#NONE}).
 */
final class CachedWrite {
    private CachedWrite() {
    }

    /**
     * The write of {@code src.remaining()} (not zero) bytes at {@code offset}, already checked
     * against the volume; its waits bounded by {@code call} until its first change.
     */
    static void write(Volume v, long offset, ByteBuffer src, CallBudget call) {
        PageCache c = v.cache();
        int len = src.remaining();
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
                    PageCopy.copyIn(c, p, inPage, n, src);
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

    /**
     * Inserts the absent run at {@code idx} under ADD, reading only partial edge pages, and
     * writes into it. Its memory is reserved before ADD, as in {@link CachedRead}'s miss.
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
                    PageCopy.copyIn(c, p, inPage, n, src);
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

    /** A truncate shrank the volume under a write that had been checked against the old size. */
    static ErrnoException truncatedUnder(Volume v, long pos, int n) {
        return new ErrnoException(Errno.ENOSPC, "volume " + v.name() + " was truncated to " + v.size()
                + " bytes while writing " + pos + "+" + n);
    }
}
