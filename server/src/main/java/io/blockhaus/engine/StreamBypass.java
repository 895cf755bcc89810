package io.blockhaus.engine;

import io.blockhaus.engine.cache.PageCache;
import io.blockhaus.engine.lock.PagecacheLock;
import java.nio.ByteBuffer;

/**
 * Large buffered transfers over a range with no cached page go straight between the caller's
 * buffer and the store, the way bcache's sequential cutoff keeps streams out of its cache.
 *
 * <p>Why: a streaming reader or writer gains nothing from the cache (it will not come back to the
 * data soon, and the kernel's page cache under a file store keeps it anyway), while inserting it
 * costs a page allocation, an index update and a copy per page and evicts everyone else's working
 * set. Why it stays coherent: the transfer holds BLOCK on its range, as direct I/O does, so no
 * page can be added there meanwhile, and it only goes ahead when, under BLOCK, no page of the
 * range is cached: there is nothing to write back, shoot down or unmap, and every completed
 * buffered write is already in the store. Otherwise the caller takes the cache path as usual.
 * Writes must cover whole pages (partial pages need the cache's read-modify-write).
 */
final class StreamBypass {
    private StreamBypass() {
    }

    /** The read, done around the cache; false (nothing done) when some page of the range is cached. */
    static boolean read(Volume v, long offset, ByteBuffer dst) {
        int len = dst.remaining();
        long first = v.firstPage(offset);
        long end = v.endPage(offset, len);
        if (v.cache().anyCachedIn(first, end)) {
            return false;
        }
        try (Volume.ResizeHold r = v.resizeShared(); PagecacheLock.Hold hold = v.block(first, end)) {
            v.checkRange(offset, len, false);
            if (v.cache().anyCachedIn(first, end)) {
                return false;
            }
            v.store().read(offset, dst);
            return true;
        }
    }

    /** The write, done around the cache; false (nothing written) for partial pages or a cached page. */
    static boolean write(Volume v, long offset, ByteBuffer[] srcs, boolean fua) {
        long len = BufferedIo.remaining(srcs);
        int ps = v.cache().pageSize();
        if (offset % ps != 0 || len % ps != 0) {
            return false;
        }
        long first = v.firstPage(offset);
        long end = v.endPage(offset, len);
        if (v.cache().anyCachedIn(first, end)) {
            return false;
        }
        try (Volume.ResizeHold r = v.resizeShared(); PagecacheLock.Hold hold = v.block(first, end)) {
            v.checkRange(offset, len, true);
            if (v.cache().anyCachedIn(first, end)) {
                return false;
            }
            v.store().write(offset, srcs);
            if (fua) {
                v.store().force();
            }
            return true;
        }
    }
}
