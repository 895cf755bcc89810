package io.blockhaus.engine;

import io.blockhaus.engine.cache.PageCache;
import io.blockhaus.engine.store.Extent;
import java.util.ArrayList;
import java.util.List;
import java.util.NavigableSet;

/**
 * Block status: the store's allocation map with dirty cached pages counted as data (they will be
 * data once written back, and a client that copies only data must not skip them). Takes no
 * lock: the answer is a snapshot, as SEEK_DATA's is.
 */
final class BlockStatus {
    private BlockStatus() {
    }

    static List<Extent> query(Handle h, long offset, long length, int maxExtents) {
        Volume v = h.volume();
        v.checkOpen();
        v.checkRange(offset, length, false);
        if (length == 0 || maxExtents <= 0) {
            return List.of();
        }
        PageCache c = v.cache();
        List<Extent> out = new ArrayList<>();
        for (Extent e : v.store().extents(offset, length, maxExtents)) {
            if (!e.hole()) {
                append(out, e.offset(), e.end(), false);
                continue;
            }
            long pos = e.offset();
            NavigableSet<Long> dirty = c.dirtyIn(c.indexOf(e.offset()), c.indexOf(e.end() - 1) + 1);
            for (Long idx : dirty) {
                long ds = Math.max(pos, c.offsetOf(idx));
                long de = Math.min(e.end(), c.offsetOf(idx + 1));
                if (de <= ds) {
                    continue;
                }
                append(out, pos, ds, true);
                append(out, ds, de, false);
                pos = de;
            }
            append(out, pos, e.end(), true);
        }
        return out.size() > maxExtents ? List.copyOf(out.subList(0, maxExtents)) : out;
    }

    private static void append(List<Extent> out, long start, long end, boolean hole) {
        if (end <= start) {
            return;
        }
        if (!out.isEmpty()) {
            Extent last = out.getLast();
            if (last.hole() == hole && last.end() == start) {
                out.set(out.size() - 1, new Extent(last.offset(), end - last.offset(), hole));
                return;
            }
        }
        out.add(new Extent(start, end - start, hole));
    }
}
