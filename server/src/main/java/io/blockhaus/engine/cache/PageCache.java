package io.blockhaus.engine.cache;

import io.blockhaus.engine.call.CallBudget;
import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.events.CacheListener;
import io.blockhaus.engine.events.GuardedListeners;
import io.blockhaus.engine.events.InvalidationReason;
import io.blockhaus.engine.events.ReadaheadListener;
import io.blockhaus.engine.events.WritebackListener;
import io.blockhaus.engine.store.BackingStore;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * One volume's page index and dirty set, and the page-level primitives every operation is built
 * from: look up, insert-locked-and-fill, dirty, write back, remove.
 *
 * <p>What this class does <em>not</em> do is decide when adding is allowed: callers hold the
 * volume's pagecache lock in ADD mode around {@link #insertAbsent} and in BLOCK mode around
 * {@link #invalidate}; lookups and the dirtying of present pages need only the page lock. The
 * index is a {@link PageIndex} of long keys (lookups are the hot path; a miss allocates nothing
 * that outlives it, see {@link Page}); range walks go by index when the range is shorter than the
 * cache and by scanning the index otherwise, so a truncate of a huge volume costs what is cached,
 * not what is addressable. The dirty set is ordered so writeback finds contiguous runs.
 *
 * <p>Pages are recycled objects: every page this class finds without holding its lock is locked
 * and then checked to be this cache's live page at the index it looked for ({@link
 * Page#isPageOf}; "Identity" in {@link Page}), never only {@link Page#isLive}.
 */
public final class PageCache {
    /** The longest run one call inserts or writes back. */
    static final int MAX_RUN_PAGES = 256;
    /** At most this many entries of the index are sized for up front (a table of 128 Ki references). */
    private static final int MAX_PRESIZED_PAGES = 1 << 16;

    private final CacheSystem system;
    private final String name;
    private final BackingStore store;
    private final int pageSize;
    private final int pageShift;
    private final PagePool pool;
    private final PageIndex pages;
    private final ResidentSet resident = new ResidentSet();
    private final PageFills fills;
    private final PageInserts inserts;
    private final PageWriteback writeback;
    /** Pages some mapping maps now (a gauge; see {@link #mappedPages()}). */
    private final java.util.concurrent.atomic.AtomicLong mappedCount = new java.util.concurrent.atomic.AtomicLong();
    private final CacheListener events;
    private final ReadaheadListener readaheadEvents;
    private final WritebackListener writebackEvents;

    PageCache(CacheSystem system, String name, BackingStore store, int pageSize, LongSupplier volumeSize,
            CacheListener events, ReadaheadListener readaheadEvents, WritebackListener writebackEvents) {
        this.system = system;
        this.events = GuardedListeners.guard(events);
        this.readaheadEvents = GuardedListeners.guard(readaheadEvents);
        this.writebackEvents = GuardedListeners.guard(writebackEvents);
        this.name = name;
        this.store = store;
        this.pageSize = pageSize;
        this.pageShift = Integer.numberOfTrailingZeros(pageSize);
        this.pool = system.pool(pageSize);
        // Sized for the pages it may come to hold (up to a cap): growing from 16 entries
        // rehashed the whole index a dozen times, on the event loop, during a fresh server's
        // first seconds (5 % of its samples in the cold randread-4k profile).
        long mayHold = Math.min(volumeSize.getAsLong() / pageSize + 1, system.limitBytes() / pageSize);
        this.pages = new PageIndex(Math.min(mayHold, MAX_PRESIZED_PAGES));
        this.fills = new PageFills(this, store);
        this.inserts = new PageInserts(this, system, store, pages, fills);
        this.writeback = new PageWriteback(this, system, name, store, volumeSize, this.writebackEvents);
    }

    PagePool pool() {
        return pool;
    }

    /** The dirty index (for tests that hold its mutex). */
    DirtyIndex dirtyIndexForTests() {
        return writeback.dirtyIndex();
    }

    public int pageSize() {
        return pageSize;
    }

    public CacheSystem system() {
        return system;
    }

    public long cachedPages() {
        return pages.size();
    }

    public long dirtyPages() {
        return writeback.dirtyPages();
    }

    /** Pages being written back right now (a subset of the dirty ones: they are marked clean after the write). */
    public long pagesUnderWriteback() {
        return writeback.pagesUnderWriteback();
    }

    /** Pages at least one mapping maps right now. */
    public long mappedPages() {
        return mappedCount.get();
    }

    /** A page gained its first mapper (+1) or lost its last (-1); page lock held. */
    void mappedPages(int delta) {
        mappedCount.addAndGet(delta);
    }

    /** The volume's cache listener (the engine's operations report hits, misses and shootdowns to it). */
    public CacheListener events() {
        return events;
    }

    public ReadaheadListener readaheadEvents() {
        return readaheadEvents;
    }

    public WritebackListener writebackEvents() {
        return writebackEvents;
    }

    /** This volume's writeback failures, which every handle's flush reports once (see {@link WritebackErrors}). */
    public WritebackErrors writebackErrors() {
        return writeback.errors();
    }

    /** Whether the latest writeback of this volume failed: its dirty pages wait for a retry. */
    public boolean writebackFailing() {
        return writeback.failing();
    }

    /**
     * The page indexed at {@code index} now, unlocked: a hint (null: absent at that moment). A
     * caller that goes on to lock it must then check {@link Page#isPageOf isPageOf(this, index)}
     * (see "Identity" in {@link Page}).
     */
    public Page get(long index) {
        return pages.get(index);
    }

    /** The live page at {@code index}, locked, not marked referenced; null when absent. Bounded as {@link Page#lock()} is. */
    public Page lockedAt(long index) {
        while (true) {
            Page p = pages.get(index);
            if (p == null) {
                return null;
            }
            if (p.lockIfPageOf(this, index, CallBudget.NONE)) {
                return p;
            }
        }
    }

    /** The live page at {@code index}, locked if that takes no wait; null when absent or busy. */
    public Page tryLockedAt(long index) {
        Page p = pages.get(index);
        return p != null && p.tryLockIfPageOf(this, index) ? p : null;
    }

    /** The live page at {@code index}, locked; null when absent. */
    public Page lookupLocked(long index) {
        return lookupLocked(index, CallBudget.NONE);
    }

    /** {@link #lookupLocked(long)}, a wait for the page's lock also ended by {@code call} (see {@link Page#lock(CallBudget)}). */
    public Page lookupLocked(long index, CallBudget call) {
        while (true) {
            Page p = pages.get(index);
            if (p == null) {
                return null;
            }
            if (p.lockIfPageOf(this, index, call)) { // else removed or re-keyed meanwhile: look again
                p.touch();
                return p;
            }
        }
    }

    // ---------------------------------------------------------------- adding (caller holds ADD)

    /**
     * Indexes a page fresh from the allocator (locked, keyed, not live) and marks it resident;
     * false, with nothing changed, when another page is indexed there already.
     */
    boolean index(Page p) {
        long idx = p.index();
        if (pages.putIfAbsent(idx, p) != null) {
            return false;
        }
        p.indexed();
        resident.add(idx); // after it entered the index: see ResidentSet
        return true;
    }

    // ------------------------------------------------- misses and fills (caller holds ADD): see PageInserts, PageFills

    /** Memory for the pages {@link #insertAbsent} would insert; see {@link PageInserts#reserve}. */
    public PageReservation reserve(long from, long to, boolean waitForFirst, CallBudget call) {
        return inserts.reserve(from, to, waitForFirst, call);
    }

    /** New pages, locked, for the absent indexes from {@code from}; see {@link PageInserts#insertAbsent}. */
    public List<Page> insertAbsent(long from, long to, PageReservation r) {
        return inserts.insertAbsent(from, to, r);
    }

    /** Inserts and fills without waiting (an event loop's miss); see {@link PageInserts#insertAndFillWithoutWaiting}. */
    public List<Page> insertAndFillWithoutWaiting(long from, long to) {
        return inserts.insertAndFillWithoutWaiting(from, to);
    }

    /** Reads an inserted run from the store; see {@link PageFills#fill}. */
    public void fill(List<Page> run) {
        fills.fill(run);
    }

    /** {@link #fill} only from bytes the store holds in memory; see {@link PageFills#fillIfInMemory}. */
    public boolean fillIfInMemory(List<Page> run) {
        return fills.fillIfInMemory(run);
    }

    /** Removes the pages of a locked run that never became uptodate; see {@link PageFills#abort}. */
    public void abort(List<Page> run) {
        fills.abort(run);
    }

    // ------------------------------------------------- dirtying and writeback: see PageWriteback

    /** Page lock held. */
    public void markDirty(Page p) {
        writeback.markDirty(p);
    }

    /** Without waiting for the dirty index's mutex; see {@link PageWriteback#tryMarkDirty}. */
    public boolean tryMarkDirty(Page[] locked) {
        return writeback.tryMarkDirty(locked);
    }

    /** Writes one locked, live page back if dirty. */
    public void writeback(Page p) {
        writeback.writeback(p);
    }

    /** Writes back every page of {@code [first, end)} dirty now (sync_file_range); see {@link PageWriteback#writebackRange}. */
    public void writebackRange(long first, long end) {
        writeback.writebackRange(first, end);
    }

    /** Write-and-invalidate {@code [first, end)} (DESIGN.md rule 3), caller holding BLOCK; see {@link PageWriteback#invalidate}. */
    public void invalidate(long first, long end, boolean writeback) {
        this.writeback.invalidate(first, end, writeback, null);
    }

    /** {@link #invalidate(long, long, boolean)}, reported as a shootdown for {@code reason} (null: not reported). */
    public void invalidate(long first, long end, boolean writeback, InvalidationReason reason) {
        this.writeback.invalidate(first, end, writeback, reason);
    }

    /** The volume's dirty pages and their writeback (background writeback, reclaim's pageout). */
    PageWriteback dirtyPagesWriteback() {
        return writeback;
    }

    /** Marks an uptodate page fully initialised by its creator without reading (a full overwrite follows). */
    public void markUptodate(Page p) {
        p.setUptodate();
    }

    /** Unlocks every page of a run. */
    public static void unlockAll(List<Page> run) {
        for (int i = 0; i < run.size(); i++) { // indexed: no iterator per miss (runs are random-access lists)
            run.get(i).unlock();
        }
    }

    // ---------------------------------------------------------------- dirtying (page lock held)

    // ---------------------------------------------------------------- writeback

    public BackingStore store() {
        return store;
    }

    // ---------------------------------------------------------------- removal

    /** Reports a shootdown of {@code pages} pages, {@code written} of them written back first. */
    public void reportInvalidated(InvalidationReason reason, int pages, int written) {
        if (pages > 0) {
            events.invalidated(reason, pages);
        }
        if (written > 0) {
            events.invalidateWritten(written);
        }
    }

    /**
     * Whether any page of {@code [first, end)} is cached. Exact for a caller holding BLOCK on the
     * range (nothing can be added); otherwise a snapshot.
     */
    public boolean anyCachedIn(long first, long end) {
        return resident.anyIn(first, end);
    }

    /**
     * Whether any page of {@code [first, end)} is dirty, i.e. holds bytes the store does not have
     * yet. A page is marked clean only after the store write that made it so has returned, so
     * false means the store holds every byte of the range that was written before the call
     * (writes running meanwhile may or may not be included).
     */
    public boolean anyDirtyIn(long first, long end) {
        return writeback.dirtyIndex().anyIn(first, end);
    }

    /**
     * Locks every cached page of {@code [first, end)} in ascending order and returns the live
     * ones (the caller unlocks them). For a caller holding BLOCK on the range, so that no page
     * can be added meanwhile; the locks keep the pages from being written back, evicted or
     * changed until released.
     */
    public List<Page> lockCachedIn(long first, long end) {
        long[] idx = resident.indexesIn(first, end);
        List<Page> locked = new ArrayList<>(idx.length);
        try {
            for (long i : idx) {
                Page p = lockedAt(i);
                if (p != null) {
                    locked.add(p);
                }
            }
        } catch (RuntimeException e) {
            unlockAll(locked); // a page lock that timed out: give back the ones taken
            throw e;
        }
        return locked;
    }

    /** A locked page whose bytes the caller just made equal to the store's: it is clean now. */
    public void markWrittenBack(Page p) {
        writeback.markClean(p);
    }

    /**
     * Indexes of the pages cached in {@code [first, end)} at the time of the call, ascending.
     * Indexes, not pages: a page found now may be another index's by the time the caller locks it
     * (see "Identity" in {@link Page}), so callers lock by index ({@link #lockedAt}, {@link
     * #tryLockedAt}).
     */
    public long[] indexesIn(long first, long end) {
        if (end - first > pages.size()) {
            return pages.keysIn(first, end);
        }
        long[] out = new long[16];
        int n = 0;
        for (long i = first; i < end; i++) {
            if (pages.contains(i)) {
                if (n == out.length) {
                    out = java.util.Arrays.copyOf(out, 2 * n);
                }
                out[n++] = i;
            }
        }
        return java.util.Arrays.copyOf(out, n);
    }

    /** Dirty page indexes in {@code [first, end)} at the time of the call, ascending. */
    public long[] dirtyIn(long first, long end) {
        return writeback.dirtyIndex().snapshot(first, end);
    }

    /**
     * Removes a locked page: discards dirty state, unmaps it everywhere, unindexes it, frees its
     * memory. The caller still unlocks it.
     */
    public void remove(Page p) {
        if (!p.isLive()) {
            return; // removed already (its remover unlocked it, and the caller relocked it)
        }
        writeback.markClean(p);
        p.unmapAll();
        if (p.takeReadAhead()) {
            readaheadEvents.wasted(1);
        }
        unindex(p);
    }

    /**
     * Kills a live, locked page and takes it out of the index, the resident set and the clock; its
     * frame goes back to the pool at its last unlock (see {@link Page}).
     */
    private void unindex(Page p) {
        long idx = p.index();
        p.kill();
        resident.remove(idx); // before it leaves the index: see ResidentSet
        boolean was = pages.remove(idx, p);
        assert was : "live page " + idx + " of " + this + " was not indexed";
        system.released(p);
    }

    /** Reclaim's removal of a clean, unmapped page it has locked. */
    void evict(Page p) {
        events.evicted(1);
        if (p.takeReadAhead()) {
            readaheadEvents.wasted(1);
        }
        unindex(p);
    }

    /** Drops every page (clean or not) and leaves the engine; for a closing volume that flushed first. */
    public void dropAll() {
        for (long idx : pages.keysIn(Long.MIN_VALUE, Long.MAX_VALUE)) {
            Page p = lockedAt(idx);
            if (p != null) {
                try {
                    remove(p);
                } finally {
                    p.unlock();
                }
            }
        }
        system.unregister(this);
    }

    public long offsetOf(long index) {
        return index << pageShift;
    }

    public long indexOf(long offset) {
        return offset >>> pageShift;
    }

    @Override
    public String toString() {
        return "PageCache[" + name + "]";
    }
}
