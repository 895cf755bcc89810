package io.blockhaus.engine;

import io.blockhaus.engine.cache.Page;
import io.blockhaus.engine.cache.PageCache;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Copies bytes between a caller's buffer and a page the caller holds locked, with the page
 * bookkeeping each direction implies: a read out of a page, of a freshly filled run (marking it
 * NOREUSE for a handle that asked), and a write into a page (its read-ahead flag taken, its
 * mappings told, the page marked dirty).
 *
 * <p>Why one place: every buffered path (the blocking read and write, the non-blocking read,
 * the write done inline) copies this way, and a page written without {@link Page#changedInPlace}
 * or {@link PageCache#markDirty} would hand mappings stale bytes or be lost at eviction. Each
 * copy is at most one page and advances the buffer's position by what it copied.
 */
final class PageCopy {
    private PageCopy() {
    }

    /** Copies from locked page {@code p} what the read of {@code [pos, end)} needs of it; returns the bytes copied. */
    static int copyOut(PageCache c, Page p, long pos, long end, ByteBuffer dst) {
        int inPage = (int) (pos - c.offsetOf(p.index()));
        int n = (int) Math.min(c.pageSize() - inPage, end - pos);
        dst.put(dst.position(), p.buffer(), inPage, n);
        dst.position(dst.position() + n);
        return n;
    }

    /**
     * Copies what the read needs from a freshly filled, locked run (it may extend past the read:
     * readahead) and returns the new position. With {@code noReuse} (fadvise NOREUSE on the
     * handle) its pages are marked to be evicted first.
     */
    static long copyOutRun(PageCache c, List<Page> run, boolean noReuse, long pos, long end, ByteBuffer dst) {
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

    /** Copies {@code n} bytes of {@code src} into locked page {@code p} at {@code inPage}, and dirties it. */
    static void copyIn(PageCache c, Page p, int inPage, int n, ByteBuffer src) {
        p.takeReadAhead(); // written before read: neither used nor, when it goes, wasted
        p.buffer().put(inPage, src, src.position(), n);
        src.position(src.position() + n);
        p.changedInPlace(null); // mappings' copies are stale: recalled before the write returns
        c.markDirty(p);
    }
}
