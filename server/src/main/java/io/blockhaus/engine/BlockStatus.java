package io.blockhaus.engine;

import io.blockhaus.engine.call.CallBudget;
import io.blockhaus.engine.cache.PageCache;
import io.blockhaus.engine.store.Extent;
import java.util.ArrayList;
import java.util.List;

/**
 * Block status: the store's allocation map (holes, allocated zeroes, data) with dirty cached
 * pages counted as data (they will be
 * data once written back, and a client that copies only data must not skip them). Takes no
 * pagecache lock: the answer is a snapshot, as SEEK_DATA's is.
 */
final class BlockStatus {
    private BlockStatus() {
    }

    static List<Allocation> query(Handle h, long offset, long length, int maxExtents) {
        Volume v = h.volume();
        v.checkOpen();
        v.checkRange(offset, length, false);
        if (length == 0 || maxExtents <= 0) {
            return List.of();
        }
        // The resize lock (shared) keeps a truncate from cutting the range off under the query;
        // it does not stop I/O, so the answer is still only a snapshot.
        try (Volume.ResizeHold r = v.resizeShared(CallBudget.current())) {
            v.checkRange(offset, length, false);
            return query(v, offset, length, maxExtents);
        }
    }

    private static List<Allocation> query(Volume v, long offset, long length, int maxExtents) {
        PageCache c = v.cache();
        // Dirty pages are listed before the store is asked: writeback writes the store and only
        // then cleans the page, so a page is always in one answer or the other.
        long[] dirtyBefore = c.dirtyIn(c.indexOf(offset), c.indexOf(offset + length - 1) + 1);
        int d = 0;
        List<Allocation> out = new ArrayList<>();
        for (Extent e : v.store().extents(offset, length, maxExtents)) {
            if (!e.zero()) {
                append(out, e.offset(), e.end(), false, false);
                continue;
            }
            long pos = e.offset();
            long firstIdx = c.indexOf(e.offset());
            long lastIdx = c.indexOf(e.end() - 1);
            while (d < dirtyBefore.length && dirtyBefore[d] < firstIdx) {
                d++;
            }
            for (int k = d; k < dirtyBefore.length && dirtyBefore[k] <= lastIdx; k++) {
                long idx = dirtyBefore[k];
                long ds = Math.max(pos, c.offsetOf(idx));
                long de = Math.min(e.end(), c.offsetOf(idx + 1));
                if (de <= ds) {
                    continue;
                }
                append(out, pos, ds, e.hole(), true);
                append(out, ds, de, false, false);
                pos = de;
            }
            append(out, pos, e.end(), e.hole(), true);
        }
        return out.size() > maxExtents ? List.copyOf(out.subList(0, maxExtents)) : out;
    }

    private static void append(List<Allocation> out, long start, long end, boolean hole, boolean zero) {
        if (end <= start) {
            return;
        }
        if (!out.isEmpty()) {
            Allocation last = out.getLast();
            if (last.hole() == hole && last.zero() == zero && last.end() == start) {
                out.set(out.size() - 1, new Allocation(last.offset(), end - last.offset(), hole, zero));
                return;
            }
        }
        out.add(new Allocation(start, end - start, hole, zero));
    }
}
