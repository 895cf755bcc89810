package io.blockhaus.engine.cache;

import io.blockhaus.engine.call.CallBudget;
import io.blockhaus.engine.store.BackingStore;
import java.util.ArrayList;
import java.util.List;

/**
 * One volume's misses: reserving memory for the pages a miss will insert, inserting them (locked,
 * into the {@link PageIndex}), and, for a thread that must not wait, inserting and filling them
 * from bytes the store holds in memory. The callers hold the volume's pagecache lock in ADD mode
 * (see {@link PageCache}); the pages come from the allocator locked and re-keyed (recycled page
 * objects, see {@link Page}), so nothing here allocates a page, and a page that does not go
 * into the index goes back to the pool unlocked ({@link CacheSystem#freeUnused}).
 */
final class PageInserts {
    private final PageCache cache;
    private final CacheSystem system;
    private final BackingStore store;
    private final PageIndex pages;
    private final PageFills fills;
    /**
     * The longest run one call inserts: {@link PageCache#MAX_RUN_PAGES}, and never more than an
     * eighth of the budget (a longer one would let one reader evict everyone else). Computed
     * once: the budget is fixed, and a division per miss is not free.
     */
    private final int maxRun;

    PageInserts(PageCache cache, CacheSystem system, BackingStore store, PageIndex pages, PageFills fills) {
        this.cache = cache;
        this.system = system;
        this.store = store;
        this.pages = pages;
        this.fills = fills;
        this.maxRun = (int) Math.min(PageCache.MAX_RUN_PAGES, Math.max(1, system.limitBytes() / cache.pageSize() / 8));
    }

    /**
     * Memory for the pages {@link #insertAbsent} would insert at {@code [from, to)}, reserved by
     * a caller that holds no lock yet (it is about to take ADD): as many pages as are absent from
     * {@code from} on right now (at least one), within the run limits. With
     * {@code waitForFirst} the first page waits for memory (ENOMEM past the deadline; ETIMEDOUT
     * past {@code call}'s deadline if sooner, EINTR at once if it is cancelled: nothing reserved
     * then); the rest are had only from clean pages.
     */
    PageReservation reserve(long from, long to, boolean waitForFirst, CallBudget call) {
        int want = (int) Math.min(to - from, maxRun);
        int absent = 1;
        while (absent < want && !pages.contains(from + absent)) {
            absent++;
        }
        return system.reserve(cache, absent, waitForFirst, call);
    }

    /**
     * Inserts new pages for the absent indexes {@code [from, to)}, stopping at the first index
     * already present (or the first page there is no memory for). Memory comes from {@code r}
     * first (null: none reserved), then from clean pages; nothing here waits, so the caller may
     * hold ADD. The returned pages are contiguous from {@code from}, locked by the caller, not
     * yet uptodate; the caller fills them ({@link PageFills#fill} or by overwriting) and unlocks them.
     * Empty when {@code from} is present or there was no memory for it.
     */
    List<Page> insertAbsent(long from, long to, PageReservation r) {
        int want = (int) Math.min(to - from, maxRun);
        if (want == 1) {
            return insertOne(from, r); // a random read's miss: no lists to build
        }
        List<Page> fresh = new ArrayList<>(want); // locked by the allocator, not yet indexed
        for (int i = 0; i < want; i++) {
            long idx = from + i;
            if (pages.contains(idx)) {
                break;
            }
            Page p = system.allocate(cache, idx, r);
            if (p == null) {
                break;
            }
            fresh.add(p);
        }
        List<Page> run = new ArrayList<>(fresh.size());
        int i = 0;
        for (; i < fresh.size() && cache.index(fresh.get(i)); i++) {
            system.admitted(fresh.get(i));
            run.add(fresh.get(i));
        }
        for (; i < fresh.size(); i++) {
            system.freeUnused(fresh.get(i));
        }
        return run;
    }

    /**
     * No lookup before the allocation: the caller has just missed this index, and under ADD only
     * a race with another inserter (which took ADD first) can have put it there since, which
     * the putIfAbsent sees.
     */
    private List<Page> insertOne(long idx, PageReservation r) {
        Page p = system.allocate(cache, idx, r); // locked
        if (p == null) {
            return List.of();
        }
        if (!cache.index(p)) {
            return lostInsertRace(p);
        }
        system.admitted(p);
        return List.of(p);
    }

    /**
     * {@link #insertAbsent} then {@link PageFills#fillIfInMemory}, for a thread that must not wait even
     * for a mutex (an event loop, holding ADD from a try): memory without a reservation and only
     * if the clock and the pool can be had without waiting ({@link CacheSystem#allocateWithoutWaiting}),
     * the pages indexed and filled only from bytes the store holds in memory, and admitted to the
     * clock only then, without waiting for its mutex. Returns the run locked and uptodate (the caller
     * copies out and unlocks it), or empty when {@code from} is present or anything would have
     * waited: then none of the pages stays, and since none was admitted to the clock, removing
     * them takes no mutex either. Store errors are thrown, with nothing left behind.
     */
    List<Page> insertAndFillWithoutWaiting(long from, long to) {
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
        Page p = system.allocateWithoutWaiting(cache, idx); // locked (tried, never awaited)
        if (p == null) {
            return List.of();
        }
        if (!cache.index(p)) {
            system.giveUps().count(NonBlockingGiveUps.Reason.LOST_RACE);
            return lostInsertRace(p);
        }
        boolean filled = false;
        try {
            filled = store.readIfInMemory(cache.offsetOf(idx), p.memory());
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

    /** A page another inserter indexed first: ours was never indexed, and goes back unused (and unlocked). */
    private List<Page> lostInsertRace(Page p) {
        system.freeUnused(p);
        return List.of();
    }

    /** {@link #insertAndFillOneWithoutWaiting}'s page that was not filled: removed and unlocked. */
    private void dropUnfilled(Page p) {
        system.giveUps().count(NonBlockingGiveUps.Reason.NOT_IN_MEMORY);
        try {
            cache.remove(p);
        } finally {
            p.unlock();
        }
    }

    /** {@link #insertAndFillWithoutWaiting} of a run of {@code want} pages (two or more). */
    private List<Page> insertAndFillRunWithoutWaiting(long from, int want) {
        List<Page> run = new ArrayList<>(want);
        for (int i = 0; i < want; i++) {
            long idx = from + i;
            if (pages.contains(idx)) {
                break;
            }
            Page p = system.allocateWithoutWaiting(cache, idx); // locked (tried, never awaited)
            if (p == null) {
                break;
            }
            if (!cache.index(p)) {
                system.giveUps().count(NonBlockingGiveUps.Reason.LOST_RACE);
                lostInsertRace(p);
                break;
            }
            run.add(p);
        }
        if (run.isEmpty()) {
            return run;
        }
        boolean done = false;
        try {
            done = fills.fillIfInMemory(run); // removed the run if not
            if (done) {
                system.admittedWithoutWaiting(run);
            }
        } finally {
            if (!done) {
                system.giveUps().count(NonBlockingGiveUps.Reason.NOT_IN_MEMORY);
                PageCache.unlockAll(run);
            }
        }
        return done ? run : List.of();
    }
}
