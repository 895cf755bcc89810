package io.blockhaus.engine;

import io.blockhaus.engine.cache.Page;
import io.blockhaus.engine.cache.PageCache;
import java.nio.ByteBuffer;

/**
 * The buffered write (no FUA) for a thread that must not block (an event loop): done right now
 * if every page it touches is cached and free and dirty memory is below the throttling mark,
 * else not at all, with nothing written and the caller's buffer untouched, so the front end
 * hands it to a worker's {@link CachedWrite}.
 *
 * <p>Why all or nothing: a half-done write could not be finished on the loop and must not be
 * seen half-done, so all its pages are locked (tried, in ascending order) and marked dirty (the
 * dirty index only tried) before any byte is copied. It never waits, for a mutex either, or does
 * I/O; a mapped page gives up too, since recalling its mappings waits for their owners. At most
 * {@link #MAX_PAGES} pages: more would hold too many page locks at once.
 */
final class NonBlockingWrite {
    /** Writes longer than this are never tried inline: they would hold too many page locks at once. */
    static final int MAX_PAGES = 16;

    private NonBlockingWrite() {
    }

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
        if (endIdx - first > MAX_PAGES || c.system().dirtyOverHardLimit()) {
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
                PageCopy.copyIn(c, p, inPage, n, src);
                pos += n;
            }
            return true;
        } finally {
            for (int i = 0; i < locked; i++) {
                pages[i].unlock();
            }
        }
    }
}
