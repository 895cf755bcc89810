package io.blockhaus.engine;

import io.blockhaus.engine.call.CallBudget;
import io.blockhaus.engine.cache.Page;
import io.blockhaus.engine.cache.PageCache;
import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import io.blockhaus.engine.events.InvalidationReason;

/**
 * posix_fadvise(2), with Linux's semantics: advice about access patterns changes the handle's
 * readahead; WILLNEED reads ahead (under ADD); DONTNEED writes dirty pages back, leaving them
 * cached, and drops the clean, unmapped ones, like invalidate_mapping_pages, which takes no
 * volume lock because dropping a clean page is what reclaim does anyway; NOREUSE marks pages
 * (and the handle's future pages) for early eviction.
 */
final class Fadvise {
    private Fadvise() {
    }

    static void advise(Handle h, Advice advice, long offset, long length) {
        Volume v = h.volume();
        v.checkOpen();
        if (offset < 0 || length < 0 || offset + length < 0) {
            throw new ErrnoException(Errno.EINVAL, "bad fadvise range " + offset + "+" + length);
        }
        long size = v.size();
        long end = length == 0 ? size : Math.min(size, offset + length);
        long first = v.firstPage(Math.min(offset, size));
        long endPage = end <= offset ? first : v.endPage(offset, end - offset);
        switch (advice) {
            case NORMAL, SEQUENTIAL, RANDOM -> h.readahead().setMode(advice);
            case WILLNEED -> Readahead.populate(v, first, endPage, CallBudget.current()); // adds pages, changes no byte
            case DONTNEED -> dontNeed(v, first, endPage);
            case NOREUSE -> {
                h.setNoReuse(true);
                markNoReuse(v.cache(), first, endPage);
            }
        }
    }

    private static void dontNeed(Volume v, long first, long end) {
        PageCache c = v.cache();
        c.writebackRange(first, end);
        int dropped = 0;
        for (long idx : c.indexesIn(first, end)) {
            Page p = c.tryLockedAt(idx);
            if (p == null) {
                continue; // in use right now (or gone): keep it, as Linux does
            }
            try {
                if (!p.isDirty() && p.mapCount() == 0) {
                    c.remove(p);
                    dropped++;
                }
            } finally {
                p.unlock();
            }
        }
        c.reportInvalidated(InvalidationReason.DONTNEED, dropped, 0);
    }

    private static void markNoReuse(PageCache c, long first, long end) {
        for (long idx : c.indexesIn(first, end)) {
            Page p = c.lockedAt(idx);
            if (p != null) {
                try {
                    p.setNoReuse(true);
                } finally {
                    p.unlock();
                }
            }
        }
    }
}
