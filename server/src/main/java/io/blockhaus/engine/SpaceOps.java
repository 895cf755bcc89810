package io.blockhaus.engine;

import io.blockhaus.engine.cache.Page;
import io.blockhaus.engine.cache.PageCache;
import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import io.blockhaus.engine.events.InvalidationReason;
import io.blockhaus.engine.lock.PagecacheLock;

/**
 * fallocate(2) and truncate: the operations that change what a range holds, or where bytes live,
 * without writing data. Each holds BLOCK on what it changes (to the end of the volume for those
 * that move bytes) so nothing can re-add the old contents while the store changes underneath.
 *
 * <p>Partial pages at the edges of a punch, zero or truncate are handled without adding pages
 * (DESIGN.md rule 4): a cached edge page is zeroed in place under its page lock, keeping its
 * dirty state; an absent one needs nothing, because the store's own operation zeroes those
 * bytes.
 */
final class SpaceOps {
    private SpaceOps() {
    }

    static void fallocate(Handle h, FallocateMode mode, long offset, long length) {
        Volume v = h.volume();
        v.checkOpen();
        v.checkWritable();
        switch (mode) {
            case PUNCH_HOLE, ZERO_RANGE, ALLOCATE -> inPlace(v, mode, offset, length);
            case COLLAPSE_RANGE -> collapse(v, offset, length);
            case INSERT_RANGE -> insert(v, offset, length);
        }
    }

    private static void inPlace(Volume v, FallocateMode mode, long offset, long length) {
        v.checkRange(offset, length, true);
        if (length == 0) {
            return;
        }
        long first = v.firstPage(offset);
        long end = v.endPage(offset, length);
        try (Volume.ResizeHold r = v.resizeShared(); PagecacheLock.Hold hold = v.block(first, end)) {
            v.checkRange(offset, length, true);
            switch (mode) {
                case PUNCH_HOLE -> {
                    dropAndZeroEdges(v, offset, offset + length);
                    v.store().punchHole(offset, length);
                }
                case ZERO_RANGE -> {
                    dropAndZeroEdges(v, offset, offset + length);
                    v.store().zeroRange(offset, length);
                }
                case ALLOCATE -> v.store().allocate(offset, length); // contents unchanged: the cache stays valid
                default -> throw new AssertionError(mode);
            }
        }
    }

    /**
     * Pages wholly inside {@code [start, end)} are written back if dirty and dropped; cached pages
     * cut by an edge are zeroed in place. Writing back data that is about to be zeroed looks
     * wasteful, but a direct read shares BLOCK with this operation: were the dirty data dropped
     * before the store is zeroed, it could read the store's older contents, which the volume
     * never held at that moment (ConcurrencyStressTest found exactly that).
     */
    private static void dropAndZeroEdges(Volume v, long start, long end) {
        PageCache c = v.cache();
        int ps = c.pageSize();
        long firstWhole = Math.ceilDiv(start, ps);
        long endWhole = Math.floorDiv(end, ps);
        if (firstWhole < endWhole) {
            c.invalidate(firstWhole, endWhole, true, InvalidationReason.PUNCH);
        }
        long headIdx = Math.floorDiv(start, ps);
        if (start % ps != 0) {
            zeroInPlace(c, headIdx, start, Math.min(end, c.offsetOf(headIdx + 1)));
        }
        long tailIdx = Math.floorDiv(end, ps);
        if (end % ps != 0 && (tailIdx != headIdx || start % ps == 0)) {
            zeroInPlace(c, tailIdx, Math.max(start, c.offsetOf(tailIdx)), end);
        }
    }

    private static void zeroInPlace(PageCache c, long idx, long from, long to) {
        Page p = c.lookupLocked(idx);
        if (p == null) {
            return;
        }
        try {
            long base = c.offsetOf(idx);
            p.memory().asSlice(from - base, to - from).fill((byte) 0);
            p.changedInPlace(null);
        } finally {
            p.unlock();
        }
    }

    /** Collapse and insert move bytes in units the store and the cache can both shift. */
    private static void checkShiftable(Volume v, String what, long offset, long length) {
        long align = Math.max(v.pageSize(), v.store().blockAlignment());
        if (offset < 0 || length <= 0 || offset % align != 0 || length % align != 0) {
            throw new ErrnoException(Errno.EINVAL, what + " needs offset and length that are positive multiples of "
                    + align + " bytes; got " + offset + "+" + length);
        }
    }

    private static void collapse(Volume v, long offset, long length) {
        checkShiftable(v, "collapse range", offset, length);
        try (Volume.ResizeHold r = v.resizeExclusive();
             PagecacheLock.Hold hold = v.block(v.firstPage(offset), Long.MAX_VALUE)) {
            long size = v.size();
            if (offset + length >= size || offset + length < 0) {
                throw new ErrnoException(Errno.EINVAL, "collapse range " + offset + "+" + length
                        + " must end before the end of the volume (" + size + " bytes)");
            }
            v.cache().invalidate(v.firstPage(offset), Long.MAX_VALUE, true, InvalidationReason.PUNCH);
            v.store().collapseRange(offset, length);
            v.setSize(size - length);
        }
    }

    private static void insert(Volume v, long offset, long length) {
        checkShiftable(v, "insert range", offset, length);
        try (Volume.ResizeHold r = v.resizeExclusive();
             PagecacheLock.Hold hold = v.block(v.firstPage(offset), Long.MAX_VALUE)) {
            long size = v.size();
            if (offset >= size) {
                throw new ErrnoException(Errno.EINVAL, "insert range offset " + offset
                        + " must lie inside the volume (" + size + " bytes)");
            }
            if (size + length > Volume.MAX_SIZE || size + length < 0) {
                throw new ErrnoException(Errno.EFBIG, "insert range would grow the volume past " + Volume.MAX_SIZE);
            }
            v.cache().invalidate(v.firstPage(offset), Long.MAX_VALUE, true, InvalidationReason.PUNCH);
            v.store().insertRange(offset, length);
            v.setSize(size + length);
        }
    }

    static void truncate(Handle h, long newSize) {
        Volume v = h.volume();
        v.checkOpen();
        v.checkWritable();
        if (newSize < 0) {
            throw new ErrnoException(Errno.EINVAL, "negative size " + newSize);
        }
        if (newSize > Volume.MAX_SIZE) {
            throw new ErrnoException(Errno.EFBIG, "size " + newSize + " is past the maximum " + Volume.MAX_SIZE);
        }
        try (Volume.ResizeHold r = v.resizeExclusive();
             PagecacheLock.Hold hold = v.block(v.firstPage(Math.min(newSize, v.size())), Long.MAX_VALUE)) {
            long old = v.size();
            if (newSize < old) {
                shrink(v, newSize);
            } else if (newSize > old) {
                v.store().truncate(newSize);
                v.setSize(newSize);
            }
        }
    }

    /**
     * The size drops first, so a buffered write that checks it under its page lock can no longer
     * land past the new end; then pages past the end go (dirty data discarded, as truncate
     * means), the cached partial page's tail is zeroed so a later grow reads zeroes, and the
     * store follows.
     */
    private static void shrink(Volume v, long newSize) {
        PageCache c = v.cache();
        v.setSize(newSize);
        c.invalidate(Math.ceilDiv(newSize, c.pageSize()), Long.MAX_VALUE, false, InvalidationReason.TRUNCATE);
        if (newSize % c.pageSize() != 0) {
            long idx = c.indexOf(newSize);
            zeroInPlace(c, idx, newSize, c.offsetOf(idx + 1));
        }
        v.store().truncate(newSize);
    }
}
