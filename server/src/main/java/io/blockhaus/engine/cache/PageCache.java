package io.blockhaus.engine.cache;

import io.blockhaus.engine.call.CallBudget;
import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import io.blockhaus.engine.events.CacheListener;
import io.blockhaus.engine.events.GuardedListeners;
import io.blockhaus.engine.events.InvalidationReason;
import io.blockhaus.engine.events.ReadaheadListener;
import io.blockhaus.engine.events.WritebackListener;
import io.blockhaus.engine.store.BackingStore;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * One volume's page index and dirty set, and the page-level primitives every operation is built
 * from: look up, insert-locked-and-fill, dirty, write back, remove.
 *
 * <p>What this class does <em>not</em> do is decide when adding is allowed: callers hold the
 * volume's pagecache lock in ADD mode around {@link #insertAbsent} and in BLOCK mode around
 * {@link #invalidate}; lookups and the dirtying of present pages need only the page lock. The
 * index is a hash map (lookups are the hot path); range walks go by index when the range is
 * shorter than the cache and by scanning the map otherwise, so a truncate of a huge volume costs
 * what is cached, not what is addressable. The dirty set is ordered so writeback finds
 * contiguous runs.
 */
public final class PageCache {
    private static final int MAX_RUN_PAGES = 256;
    /** At most this many entries of the index are sized for up front (a table of 128 Ki references). */
    private static final int MAX_PRESIZED_PAGES = 1 << 16;

    private final CacheSystem system;
    private final String name;
    private final BackingStore store;
    private final int pageSize;
    private final int pageShift;
    private final LongSupplier volumeSize;
    private final PagePool pool;
    /**
     * The longest run one call inserts: {@link #MAX_RUN_PAGES}, and never more than an eighth of
     * the budget (a longer one would let one reader evict everyone else). Computed once: the
     * budget is fixed, and a division per miss is not free.
     */
    private final int maxRun;
    private final ConcurrentHashMap<Long, Page> pages;
    private final DirtyIndex dirty = new DirtyIndex();
    private final ResidentSet resident = new ResidentSet();
    // Counted apart from the set: the set's size() may lag a removal, and callers want an answer
    // that is exact once the pages they wrote back are clean.
    private final java.util.concurrent.atomic.AtomicLong dirtyCount = new java.util.concurrent.atomic.AtomicLong();
    private final WritebackErrors writebackErrors;
    private final WritebackBackoff backoff = new WritebackBackoff();
    /** Pages under writeback now, and pages some mapping maps now (gauges; see {@link #pagesUnderWriteback}). */
    private final java.util.concurrent.atomic.AtomicLong writebackCount = new java.util.concurrent.atomic.AtomicLong();
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
        this.volumeSize = volumeSize;
        this.writebackErrors = new WritebackErrors(name);
        this.pool = system.pool(pageSize);
        this.maxRun = (int) Math.min(MAX_RUN_PAGES, Math.max(1, system.limitBytes() / pageSize / 8));
        // Sized for the pages it may come to hold (up to a cap): growing from 16 entries
        // rehashed the whole index a dozen times, on the event loop, during a fresh server's
        // first seconds (5 % of its samples in the cold randread-4k profile).
        long mayHold = Math.min(volumeSize.getAsLong() / pageSize + 1, system.limitBytes() / pageSize);
        this.pages = new ConcurrentHashMap<>((int) Math.min(mayHold, MAX_PRESIZED_PAGES));
    }

    PagePool pool() {
        return pool;
    }

    /** The dirty index (for tests that hold its mutex). */
    DirtyIndex dirtyIndexForTests() {
        return dirty;
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
        return dirtyCount.get();
    }

    /** Pages being written back right now (a subset of the dirty ones: they are marked clean after the write). */
    public long pagesUnderWriteback() {
        return writebackCount.get();
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
        return writebackErrors;
    }

    /** Whether the latest writeback of this volume failed: its dirty pages wait for a retry. */
    public boolean writebackFailing() {
        return backoff.failing();
    }

    /** Nanoseconds (of the injected clock) until the failing writeback may be retried; 0 if due or healthy. */
    long nanosUntilWritebackRetry(long now) {
        return backoff.nanosUntilRetry(now);
    }

    public Page get(long index) {
        return pages.get(index);
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
            if (p.lockIfLive(call)) {
                p.touch();
                return p;
            }
        }
    }

    // ---------------------------------------------------------------- adding (caller holds ADD)

    /**
     * Memory for the pages {@link #insertAbsent} would insert at {@code [from, to)}, reserved by
     * a caller that holds no lock yet (it is about to take ADD): as many pages as are absent from
     * {@code from} on right now (at least one), within the run limits. With
     * {@code waitForFirst} the first page waits for memory (ENOMEM past the deadline; ETIMEDOUT
     * past {@code call}'s deadline if sooner, EINTR at once if it is cancelled: nothing reserved
     * then); the rest are had only from clean pages.
     */
    public PageReservation reserve(long from, long to, boolean waitForFirst, CallBudget call) {
        int want = (int) Math.min(to - from, maxRun);
        int absent = 1;
        while (absent < want && !pages.containsKey(from + absent)) {
            absent++;
        }
        return system.reserve(this, absent, waitForFirst, call);
    }

    /**
     * Inserts new pages for the absent indexes {@code [from, to)}, stopping at the first index
     * already present (or the first page there is no memory for). Memory comes from {@code r}
     * first (null: none reserved), then from clean pages; nothing here waits, so the caller may
     * hold ADD. The returned pages are contiguous from {@code from}, locked by the caller, not
     * yet uptodate; the caller fills them ({@link #fill} or by overwriting) and unlocks them.
     * Empty when {@code from} is present or there was no memory for it.
     */
    public List<Page> insertAbsent(long from, long to, PageReservation r) {
        int want = (int) Math.min(to - from, maxRun);
        if (want == 1) {
            return insertOne(from, r); // a random read's miss: no lists to build
        }
        List<Page> fresh = new ArrayList<>(want);
        for (int i = 0; i < want; i++) {
            long idx = from + i;
            if (pages.containsKey(idx)) {
                break;
            }
            Page p = system.allocate(this, idx, r);
            if (p == null) {
                break;
            }
            fresh.add(p);
        }
        List<Page> run = new ArrayList<>(fresh.size());
        int i = 0;
        for (; i < fresh.size(); i++) {
            Page p = fresh.get(i);
            p.lock();
            if (pages.putIfAbsent(p.index(), p) != null) {
                p.unlock();
                break;
            }
            resident.add(p.index());
            system.admitted(p);
            run.add(p);
        }
        for (; i < fresh.size(); i++) {
            system.freeUnused(fresh.get(i));
        }
        return run;
    }

    /**
     * No lookup before the allocation: the caller has just missed this index, and under ADD only
     * a race with another inserter (which took ADD first) can have put it there since, which
     * the putIfAbsent sees. The key is boxed once, for the index's node.
     */
    private List<Page> insertOne(long idx, PageReservation r) {
        Page p = system.allocate(this, idx, r);
        if (p == null) {
            return List.of();
        }
        p.lock();
        if (pages.putIfAbsent(Long.valueOf(idx), p) != null) {
            p.unlock();
            system.freeUnused(p);
            return List.of();
        }
        resident.add(idx);
        system.admitted(p);
        return List.of(p);
    }

    /**
     * {@link #insertAbsent} then {@link #fillIfInMemory}, for a thread that must not wait even
     * for a mutex (an event loop, holding ADD from a try): memory without a reservation and only
     * if the clock and the pool can be had without waiting ({@link CacheSystem#allocateWithoutWaiting}),
     * the pages indexed and filled only from bytes the store holds in memory, and admitted to the
     * clock only then, without waiting for its mutex. Returns the run locked and uptodate (the caller
     * copies out and unlocks it), or empty when {@code from} is present or anything would have
     * waited: then none of the pages stays, and since none was admitted to the clock, removing
     * them takes no mutex either. Store errors are thrown, with nothing left behind.
     */
    public List<Page> insertAndFillWithoutWaiting(long from, long to) {
        int want = (int) Math.min(to - from, maxRun);
        return want == 1 ? insertAndFillOneWithoutWaiting(from) : insertAndFillRunWithoutWaiting(from, want);
    }

    /**
     * The event loop's random-read miss, kept small on purpose: it is the hottest method a fresh
     * server compiles, and every give-up and clean-up (no memory, a lost race, bytes not in
     * memory, a store error) is a call out of line, so the compiled body C2 makes early stays
     * small and stays valid when those branches first run as the cache fills (the whole
     * {@link #insertAndFillWithoutWaiting} was ~65 KB of code compiled four times in a fresh
     * server's first seconds). No lookup before the allocation, as in {@link #insertOne}.
     */
    private List<Page> insertAndFillOneWithoutWaiting(long idx) {
        Page p = system.allocateWithoutWaiting(this, idx);
        if (p == null) {
            return List.of();
        }
        p.lock(); // nobody else can see it yet: never waits
        if (pages.putIfAbsent(Long.valueOf(idx), p) != null) {
            return lostInsertRace(p);
        }
        resident.add(idx);
        boolean filled = false;
        try {
            filled = store.readIfInMemory(offsetOf(idx), p.memory());
        } finally {
            if (!filled) {
                dropUnfilled(p); // not in memory, or the store threw (an Error too): nothing left behind
            }
        }
        if (!filled) {
            return List.of();
        }
        p.setUptodate();
        List<Page> run = List.of(p);
        system.admittedWithoutWaiting(run);
        return run;
    }

    /** A page another inserter indexed first: ours was never visible, and goes back unused. */
    private List<Page> lostInsertRace(Page p) {
        system.giveUps().count(NonBlockingGiveUps.Reason.LOST_RACE);
        p.unlock();
        system.freeUnused(p);
        return List.of();
    }

    /** {@link #insertAndFillOneWithoutWaiting}'s page that was not filled: removed and unlocked. */
    private void dropUnfilled(Page p) {
        system.giveUps().count(NonBlockingGiveUps.Reason.NOT_IN_MEMORY);
        try {
            remove(p);
        } finally {
            p.unlock();
        }
    }

    /** {@link #insertAndFillWithoutWaiting} of a run of {@code want} pages (two or more). */
    private List<Page> insertAndFillRunWithoutWaiting(long from, int want) {
        List<Page> run = new ArrayList<>(want);
        for (int i = 0; i < want; i++) {
            long idx = from + i;
            if (pages.containsKey(idx)) {
                break;
            }
            Page p = system.allocateWithoutWaiting(this, idx);
            if (p == null) {
                break;
            }
            p.lock(); // nobody else can see it yet: never waits
            if (pages.putIfAbsent(idx, p) != null) {
                lostInsertRace(p);
                break;
            }
            resident.add(idx);
            run.add(p);
        }
        if (run.isEmpty()) {
            return run;
        }
        boolean done = false;
        try {
            done = fillIfInMemory(run); // removed the run if not
            if (done) {
                system.admittedWithoutWaiting(run);
            }
        } finally {
            if (!done) {
                system.giveUps().count(NonBlockingGiveUps.Reason.NOT_IN_MEMORY);
                unlockAll(run);
            }
        }
        return done ? run : List.of();
    }

    /**
     * Reads a run from {@link #insertAbsent} from the store and marks it uptodate. On failure the
     * run is removed from the cache (still locked: the caller unlocks, as always).
     */
    public void fill(List<Page> run) {
        if (run.isEmpty()) {
            return;
        }
        try {
            if (run.size() == 1) {
                // A random read's miss: the store's plain pread straight into the page's memory,
                // no iovec array, buffer view or segment to build.
                store.read(offsetOf(run.getFirst().index()), run.getFirst().memory());
            } else {
                ByteBuffer[] bufs = new ByteBuffer[run.size()];
                for (int i = 0; i < bufs.length; i++) {
                    bufs[i] = run.get(i).bufferView();
                }
                store.read(offsetOf(run.getFirst().index()), bufs);
            }
        } catch (RuntimeException | Error e) {
            // An Error too (a bug in a store): a live page left not uptodate would be read as
            // if it were (a page seen unlocked is uptodate), so it goes before anyone sees it.
            abort(run);
            throw e;
        }
        for (int i = 0; i < run.size(); i++) { // indexed: no iterator per miss
            run.get(i).setUptodate();
        }
    }

    /**
     * {@link #fill} without waiting for a disk: true and uptodate when the store had the whole
     * run in memory; otherwise false and the run is removed from the cache (still locked, as
     * after a failed fill).
     */
    public boolean fillIfInMemory(List<Page> run) {
        if (run.isEmpty()) {
            return true;
        }
        ByteBuffer[] bufs = new ByteBuffer[run.size()];
        for (int i = 0; i < bufs.length; i++) {
            bufs[i] = run.get(i).bufferView();
        }
        boolean filled;
        try {
            filled = store.readIfInMemory(offsetOf(run.getFirst().index()), bufs);
        } catch (RuntimeException | Error e) { // as in fill
            abort(run);
            throw e;
        }
        if (!filled) {
            abort(run);
            return false;
        }
        for (Page p : run) {
            p.setUptodate();
        }
        return true;
    }

    /** Removes the pages of a locked run that never became uptodate (their creator failed). */
    public void abort(List<Page> run) {
        for (Page p : run) {
            if (p.isLive() && !p.isUptodate()) {
                remove(p);
            }
        }
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

    public void markDirty(Page p) {
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
    public boolean tryMarkDirty(Page[] pages) {
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

    private void markClean(Page p) {
        if (p.isDirty()) {
            p.setDirty(false);
            dirtyCount.decrementAndGet();
            system.budget().cleaned(pageSize);
            boolean removed = dirty.remove(p.index()); // last: whoever sees it gone also sees the counts
            assert removed : "dirty page " + p.index() + " was not in the dirty set";
        }
    }

    // ---------------------------------------------------------------- writeback

    /** Writes one locked, live page back if dirty. */
    public void writeback(Page p) {
        if (!p.isDirty()) {
            return;
        }
        writeRun(List.of(p));
    }

    /** Writes a locked, contiguous run of dirty pages in one gather write; marks them clean. */
    private void writeRun(List<Page> run) {
        long start = offsetOf(run.getFirst().index());
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
            for (long idx = from; idx < end && run.size() < MAX_RUN_PAGES; idx++) {
                if (!dirty.contains(idx)) {
                    break;
                }
                Page p = pages.get(idx);
                if (p == null) {
                    break;
                }
                if (wait) {
                    p.lock();
                } else if (!p.tryLock()) {
                    break;
                }
                if (!p.isLive() || !p.isDirty() || p.reentered()) {
                    p.unlock();
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
            unlockAll(run);
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
    public void writebackRange(long first, long end) {
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
                while (i + 1 < idxs.length && idxs[i + 1] == idxs[i] + 1 && idxs[i + 1] - idx < MAX_RUN_PAGES) {
                    i++;
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    public BackingStore store() {
        return store;
    }

    // ---------------------------------------------------------------- removal

    /**
     * Write-and-invalidate {@code [first, end)} (DESIGN.md rule 3): each page is locked, written
     * back if dirty and {@code writeback} is set (otherwise its dirty data is discarded: the
     * caller is about to overwrite or deallocate it), removed from the cache and from every
     * mapping, and only then unlocked. The caller holds BLOCK, so nothing re-adds a page behind
     * it.
     *
     * <p>Pages are taken in ascending order, and a contiguous run of dirty pages (up to 256) is
     * kept locked until it can be written with one gather write, then removed and unlocked: the
     * store sees one write per run, not one per page, and no page of a run is unlocked between
     * its writeback and its removal, so a writer cannot slip new bytes in between. If a write
     * fails, its run stays cached and dirty and the error propagates.
     */
    public void invalidate(long first, long end, boolean writeback) {
        invalidate(first, end, writeback, null);
    }

    /**
     * {@link #invalidate(long, long, boolean)}, reported to the volume's listener as a shootdown
     * for {@code reason} (null: not a shootdown, e.g. a volume closing, and not reported).
     */
    public void invalidate(long first, long end, boolean writeback, InvalidationReason reason) {
        List<Page> found = pagesIn(first, end);
        found.sort(java.util.Comparator.comparingLong(Page::index));
        List<Page> run = new ArrayList<>(); // locked, dirty, contiguous, not yet written
        int dropped = 0;
        int written = 0;
        try {
            for (Page p : found) {
                if (!p.lockIfLive()) {
                    continue;
                }
                if (writeback && p.isDirty()) {
                    if (!run.isEmpty() && (run.getLast().index() + 1 != p.index() || run.size() == MAX_RUN_PAGES)) {
                        written += writeAndRemove(run);
                    }
                    run.add(p);
                    continue;
                }
                written += writeAndRemove(run);
                try {
                    remove(p);
                    dropped++;
                } finally {
                    p.unlock();
                }
            }
            written += writeAndRemove(run);
        } finally {
            unlockAll(run); // only when a write failed: those pages stay, dirty
            if (reason != null) {
                reportInvalidated(reason, dropped + written, written);
            }
        }
    }

    /** Reports a shootdown of {@code pages} pages, {@code written} of them written back first. */
    public void reportInvalidated(InvalidationReason reason, int pages, int written) {
        if (pages > 0) {
            events.invalidated(reason, pages);
        }
        if (written > 0) {
            events.invalidateWritten(written);
        }
    }

    /** Writes a locked dirty run back in one gather write, then removes and unlocks its pages; returns how many. */
    private int writeAndRemove(List<Page> run) {
        if (run.isEmpty()) {
            return 0;
        }
        writeRun(run);
        for (Page p : run) {
            remove(p);
        }
        unlockAll(run);
        int n = run.size();
        run.clear();
        return n;
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
        return dirty.anyIn(first, end);
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
                Page p = pages.get(i);
                if (p != null && p.lockIfLive()) {
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
        markClean(p);
    }

    /** Live pages in {@code [first, end)} at the time of the call, in no particular order. */
    public List<Page> pagesIn(long first, long end) {
        List<Page> out = new ArrayList<>();
        if (end - first <= pages.size()) {
            for (long i = first; i < end; i++) {
                Page p = pages.get(i);
                if (p != null) {
                    out.add(p);
                }
            }
        } else {
            for (Page p : pages.values()) {
                if (p.index() >= first && p.index() < end) {
                    out.add(p);
                }
            }
        }
        return out;
    }

    /** Dirty page indexes in {@code [first, end)} at the time of the call, ascending. */
    public long[] dirtyIn(long first, long end) {
        return dirty.snapshot(first, end);
    }

    /**
     * Removes a locked page: discards dirty state, unmaps it everywhere, unindexes it, frees its
     * memory. The caller still unlocks it.
     */
    public void remove(Page p) {
        markClean(p);
        p.unmapAll();
        p.kill();
        if (p.takeReadAhead()) {
            readaheadEvents.wasted(1);
        }
        Long key = p.index(); // boxed once for both
        if (pages.get(key) == p) {
            resident.remove(p.index()); // before it leaves the index: see ResidentSet
        }
        if (pages.remove(key, p)) {
            system.released(p);
        } else {
            // Never indexed (a fill that failed before insertion cannot happen) - defensive.
            system.freeUnused(p);
        }
    }

    /**
     * Reclaim's pageout: writes back the dirty run that starts at {@code p} (a page the clock
     * hand chose), then evicts those of its pages that are now clean, unmapped and not
     * referenced since. Called holding no lock. Returns the pages evicted; 0 when the run was
     * busy, when the volume's writeback is failing and its retry is not due (reclaim must not
     * become the write storm {@link WritebackBackoff} prevents), or when its write failed (the
     * pages stay dirty; {@link #writeRun} recorded the failure for the next flush).
     */
    int pageOut(Page p) {
        long from = p.index();
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
            Page q = pages.get(i);
            if (q == null || !q.tryLock()) {
                continue;
            }
            try {
                if (q.isLive() && !q.reentered() && q.isUptodate() && !q.isDirty() && !q.isWriteback()
                        && q.mapCount() == 0 && (q == p || !q.isReferenced())) {
                    evict(q);
                    evicted++;
                }
            } finally {
                q.unlock();
            }
        }
        return evicted;
    }

    /** Reclaim's removal of a clean, unmapped page it has locked. */
    void evict(Page p) {
        p.kill();
        events.evicted(1);
        if (p.takeReadAhead()) {
            readaheadEvents.wasted(1);
        }
        Long key = p.index(); // boxed once for both
        if (pages.get(key) == p) {
            resident.remove(p.index()); // before it leaves the index: see ResidentSet
        }
        if (pages.remove(key, p)) {
            system.released(p);
        }
    }

    /** Drops every page (clean or not) and leaves the engine; for a closing volume that flushed first. */
    public void dropAll() {
        for (Page p : List.copyOf(pages.values())) {
            if (p.lockIfLive()) {
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
