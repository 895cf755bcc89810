package io.blockhaus.engine.cache;

import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import io.blockhaus.engine.events.InvalidationReason;
import io.blockhaus.engine.events.WritebackListener;
import io.blockhaus.engine.store.BackingStore;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * One volume's dirty pages and their writeback in runs: marking pages dirty and clean (the
 * {@link DirtyIndex} and the budget's dirty count), writing contiguous dirty runs back with one
 * gather write each (background, expiry, a client's sync of a range, reclaim's pageout), and
 * write-and-invalidate. A failed write keeps its pages dirty, is recorded in
 * {@link WritebackErrors} and holds the volume's background writeback back ({@link
 * WritebackBackoff}).
 *
 * <p>Pages are found here by index (the dirty index, a range) and locked, then checked to be
 * the cache's page at that index ({@link Page#isPageOf}): a page object may have been recycled
 * for another index between the lookup and the lock (see {@link Page}).
 */
final class PageWriteback {
    private final PageCache cache;
    private final CacheSystem system;
    private final String name;
    private final BackingStore store;
    private final int pageSize;
    private final LongSupplier volumeSize;
    private final WritebackListener writebackEvents;
    private final DirtyIndex dirty = new DirtyIndex();
    // Counted apart from the set: the set's size() may lag a removal, and callers want an answer
    // that is exact once the pages they wrote back are clean.
    private final AtomicLong dirtyCount = new AtomicLong();
    private final WritebackErrors writebackErrors;
    private final WritebackBackoff backoff = new WritebackBackoff();
    /** Pages under writeback now (a gauge). */
    private final AtomicLong writebackCount = new AtomicLong();

    PageWriteback(PageCache cache, CacheSystem system, String name, BackingStore store, LongSupplier volumeSize,
            WritebackListener writebackEvents) {
        this.cache = cache;
        this.system = system;
        this.name = name;
        this.store = store;
        this.pageSize = cache.pageSize();
        this.volumeSize = volumeSize;
        this.writebackEvents = writebackEvents;
        this.writebackErrors = new WritebackErrors(name);
    }

    DirtyIndex dirtyIndex() {
        return dirty;
    }

    long dirtyPages() {
        return dirtyCount.get();
    }

    long pagesUnderWriteback() {
        return writebackCount.get();
    }

    WritebackErrors errors() {
        return writebackErrors;
    }

    boolean failing() {
        return backoff.failing();
    }

    long nanosUntilRetry(long now) {
        return backoff.nanosUntilRetry(now);
    }

    void markDirty(Page p) {
        if (!p.isDirty()) {
            p.setDirty(true);
            dirtyCount.incrementAndGet();
            system.budget().dirtied(pageSize);
            boolean added = dirty.add(p.index(), system.now());
            assert added : "two dirty pages for index " + p.index();
        }
    }

    /**
     * {@link #markDirty} of every page of {@code pages} (all locked by the caller), for a thread
     * that must not wait even for a mutex (an event loop's inline WRITE): false, with nothing
     * marked, when the dirty index's mutex is busy. The pages enter the index first and get their
     * flag after: nobody can look at them in between (their locks are held), and a range check
     * that sees the index early only declines a fast path.
     */
    boolean tryMarkDirty(Page[] pages) {
        long[] clean = new long[pages.length];
        int n = 0;
        for (Page p : pages) {
            if (!p.isDirty()) {
                clean[n++] = p.index();
            }
        }
        if (n == 0) {
            return true;
        }
        if (!dirty.tryAddAll(clean, n, system.now())) {
            return false;
        }
        for (Page p : pages) {
            if (!p.isDirty()) {
                p.setDirty(true);
                dirtyCount.incrementAndGet();
                system.budget().dirtied(pageSize);
            }
        }
        return true;
    }

    void markClean(Page p) {
        if (p.isDirty()) {
            p.setDirty(false);
            dirtyCount.decrementAndGet();
            system.budget().cleaned(pageSize);
            boolean removed = dirty.remove(p.index()); // last: whoever sees it gone also sees the counts
            assert removed : "dirty page " + p.index() + " was not in the dirty set";
        }
    }

    /** Writes one locked, live page back if dirty. */
    void writeback(Page p) {
        if (!p.isDirty()) {
            return;
        }
        writeRun(List.of(p));
    }

    /** Writes a locked, contiguous run of dirty pages in one gather write; marks them clean. */
    private void writeRun(List<Page> run) {
        long start = cache.offsetOf(run.getFirst().index());
        long size = volumeSize.getAsLong();
        List<ByteBuffer> bufs = new ArrayList<>(run.size());
        long pos = start;
        long bytes = 0;
        for (Page p : run) {
            // The last page of the volume may be partial: write only what lies inside it.
            long n = Math.min(pageSize, size - pos);
            if (n <= 0) {
                break;
            }
            bufs.add(p.bufferView().limit((int) n));
            bytes += n;
            pos += pageSize;
        }
        for (Page p : run) {
            p.setWriteback(true);
        }
        writebackCount.addAndGet(run.size());
        long began = System.nanoTime(); // a store write follows: two clock reads are nothing beside it
        try {
            if (!bufs.isEmpty()) {
                store.write(start, bufs.toArray(ByteBuffer[]::new));
            }
            for (Page p : run) {
                markClean(p);
            }
        } catch (RuntimeException e) {
            // The pages stay dirty (never dropped); the failure is reported to every handle's
            // next flush, and the volume is left alone for a while (see WritebackBackoff).
            ErrnoException failure = e instanceof ErrnoException ee ? ee
                    : new ErrnoException(Errno.EIO, "writeback of " + name + " failed", e);
            writebackErrors.record(failure);
            backoff.failed(system.now());
            writebackEvents.failed(failure.errno());
            throw e;
        } finally {
            for (Page p : run) {
                p.setWriteback(false);
            }
            writebackCount.addAndGet(-run.size());
        }
        writebackEvents.ran(bytes, System.nanoTime() - began);
        backoff.succeeded();
        system.writebackProgressed();
    }

    /**
     * Writes back the dirty run starting at {@code from} (ending before {@code end}), locking
     * pages in ascending order; with {@code wait} false it stops at a page someone else holds.
     * Returns the number of pages written.
     */
    int writebackRun(long from, long end, boolean wait) {
        List<Page> run = new ArrayList<>();
        try {
            for (long idx = from; idx < end && run.size() < PageCache.MAX_RUN_PAGES; idx++) {
                if (!dirty.contains(idx)) {
                    break;
                }
                Page p = cache.get(idx);
                if (p == null) {
                    break;
                }
                if (wait) {
                    p.lock();
                } else if (!p.tryLock()) {
                    break;
                }
                if (!p.isPageOf(cache, idx) || !p.isDirty() || p.reentered()) {
                    p.unlock(); // removed, or re-keyed since the lookup (see Page): the run ends here
                    break;
                }
                run.add(p);
            }
            if (run.isEmpty()) {
                return 0;
            }
            writeRun(run);
            return run.size();
        } finally {
            PageCache.unlockAll(run);
        }
    }

    /**
     * Background writeback: for whoever needs memory, from the lowest dirty index. Nothing while
     * the volume's writeback is failing and its retry is not due; the first failure ends the call
     * (it is recorded, and the backoff says when to try again).
     */
    int writebackOldestRuns(int target) {
        long next = dirty.ceiling(0);
        if (next < 0 || !backoff.tryClaim(system.now())) {
            return 0;
        }
        int written = 0;
        while (next >= 0 && written < target) {
            int n;
            try {
                n = writebackRun(next, Long.MAX_VALUE, false);
            } catch (RuntimeException e) {
                break;
            }
            written += n;
            next = dirty.ceiling(next + Math.max(n, 1));
        }
        return written;
    }

    /**
     * Writes back the dirty pages of every 64-page chunk whose oldest dirty page was dirtied
     * before {@code cutoffNanos} (see {@link DirtyIndex}), in runs.
     */
    void writebackExpired(long cutoffNanos) {
        long[] expired = dirty.expired(cutoffNanos);
        if (expired.length == 0 || !backoff.tryClaim(system.now())) {
            return; // nothing due, or failing and the retry is not (as in writebackOldestRuns)
        }
        for (long idx : expired) {
            if (!dirty.contains(idx)) {
                continue; // went with an earlier run
            }
            try {
                writebackRun(idx, Long.MAX_VALUE, false);
            } catch (RuntimeException e) {
                return;
            }
        }
    }

    /**
     * Writes back every page of {@code [first, end)} that is dirty now (sync_file_range). Pages
     * dirtied after this starts may or may not be included. A client asked, so the backoff of a
     * failing volume does not apply, and a failed run does not stop the others: every run is
     * tried once, and then the first failure is thrown (the failed pages stay dirty).
     */
    void writebackRange(long first, long end) {
        RuntimeException failure = null;
        long[] idxs = dirty.snapshot(first, end);
        for (int i = 0; i < idxs.length; i++) {
            long idx = idxs[i];
            if (!dirty.contains(idx)) {
                continue;
            }
            try {
                writebackRun(idx, end, true);
            } catch (RuntimeException e) {
                failure = failure == null ? e : failure;
                // Skip the rest of the run that just failed as one write: retrying its tail
                // page by page would be a write storm of its own.
                while (i + 1 < idxs.length && idxs[i + 1] == idxs[i] + 1 && idxs[i + 1] - idx < PageCache.MAX_RUN_PAGES) {
                    i++;
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /**
     * Write-and-invalidate {@code [first, end)} (DESIGN.md rule 3): each page is locked, written
     * back if dirty and {@code writeback} is set (otherwise its dirty data is discarded: the
     * caller is about to overwrite or deallocate it), removed from the cache and from every
     * mapping, and only then unlocked. The caller holds BLOCK, so nothing re-adds a page behind
     * it. Reported to the volume's listener as a shootdown for {@code reason} (null: not a
     * shootdown, e.g. a volume closing, and not reported).
     *
     * <p>Pages are taken in ascending order, and a contiguous run of dirty pages (up to 256) is
     * kept locked until it can be written with one gather write, then removed and unlocked: the
     * store sees one write per run, not one per page, and no page of a run is unlocked between
     * its writeback and its removal, so a writer cannot slip new bytes in between. If a write
     * fails, its run stays cached and dirty and the error propagates.
     */
    void invalidate(long first, long end, boolean writeback, InvalidationReason reason) {
        long[] found = cache.indexesIn(first, end); // ascending
        List<Page> run = new ArrayList<>(); // locked, dirty, contiguous, not yet written
        int dropped = 0;
        int written = 0;
        try {
            for (long idx : found) {
                Page p = cache.lockedAt(idx);
                if (p == null) {
                    continue;
                }
                if (writeback && p.isDirty()) {
                    if (!run.isEmpty() && (run.getLast().index() + 1 != p.index() || run.size() == PageCache.MAX_RUN_PAGES)) {
                        written += writeAndRemove(run);
                    }
                    run.add(p);
                    continue;
                }
                written += writeAndRemove(run);
                try {
                    cache.remove(p);
                    dropped++;
                } finally {
                    p.unlock();
                }
            }
            written += writeAndRemove(run);
        } finally {
            PageCache.unlockAll(run); // only when a write failed: those pages stay, dirty
            if (reason != null) {
                cache.reportInvalidated(reason, dropped + written, written);
            }
        }
    }

    /** Writes a locked dirty run back in one gather write, then removes and unlocks its pages; returns how many. */
    private int writeAndRemove(List<Page> run) {
        if (run.isEmpty()) {
            return 0;
        }
        writeRun(run);
        for (Page p : run) {
            cache.remove(p);
        }
        PageCache.unlockAll(run);
        int n = run.size();
        run.clear();
        return n;
    }

    /**
     * Reclaim's pageout: writes back the dirty run that starts at {@code from} (a page the clock
     * hand chose, by index: the page object may be another's by now, see {@link Page}), then evicts those of its pages that are now clean, unmapped and not
     * referenced since. Called holding no lock. Returns the pages evicted; 0 when the run was
     * busy, when the volume's writeback is failing and its retry is not due (reclaim must not
     * become the write storm {@link WritebackBackoff} prevents), or when its write failed (the
     * pages stay dirty; {@link #writeRun} recorded the failure for the next flush).
     */
    int pageOut(long from) {
        if (!backoff.tryClaim(system.now())) {
            return 0;
        }
        int written;
        try {
            written = writebackRun(from, Long.MAX_VALUE, false);
        } catch (RuntimeException e) {
            return 0;
        }
        int evicted = 0;
        for (long i = from; i < from + written; i++) {
            Page q = cache.tryLockedAt(i);
            if (q == null) {
                continue;
            }
            try {
                if (!q.reentered() && q.isUptodate() && !q.isDirty() && !q.isWriteback()
                        && q.mapCount() == 0 && (i == from || !q.isReferenced())) {
                    cache.evict(q);
                    evicted++;
                }
            } finally {
                q.unlock();
            }
        }
        return evicted;
    }
}
