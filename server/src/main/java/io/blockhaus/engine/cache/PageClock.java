package io.blockhaus.engine.cache;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * Reclaim: a CLOCK over a ring of slots, one per resident page of every volume.
 *
 * <pre>
 *            hand --> [ P7 r ][ P2   ][  -   ][ P9 d ][ P4 r ] ...
 *                       |       |       |       |       `- referenced: cleared, skipped this lap
 *                       |       |       |       `--------- dirty (pinned): skipped, counted as waste
 *                       |       |       `----------------- free slot (a page left): the next admitted page takes it
 *                       |       `------------------------- clean, unreferenced: evicted
 *                       `--------------------------------- referenced: cleared, evicted next lap if untouched
 * </pre>
 *
 * <p><b>Why a ring and not a queue.</b> The clock used to be a {@code ConcurrentLinkedQueue}
 * that a scan polled and re-offered: a node allocated per page visited, dead entries left behind
 * by shot-down pages, and a scan bounded only by twice the resident pages, so under a full
 * budget of mapped or dirty pages one allocation walked the whole cache. Here a page owns a slot
 * from admission to removal, removal empties its slot at once, and a visit is an array read.
 *
 * <p><b>Cost proportional to what is freed.</b> A visit either evicts a page, clears a
 * referenced bit, passes a free slot, or passes a page it may not evict (locked, dirty, under
 * writeback, mapped, not uptodate). Clearing a bit is paid for by the access that set it, so its
 * cost is amortised over hits (Linux ages its active list the same way). Free slots are few when
 * reclaim runs at all: reclaim runs only when the budget is full, and then the slots hold
 * budget-many pages (with mixed page sizes, at most the ratio of the largest to the smallest
 * free slot per page). Passing pages that cannot be evicted is the only cost no earlier access
 * paid for, so a call gives up after {@link #wastePerPage} such visits per page it was asked
 * for: the caller then waits to be woken ({@link MemoryWaits}) instead of walking a cache that
 * is all pinned.
 *
 * <p><b>Dirty pages</b> the hand reaches unreferenced are, for a caller that may write (one
 * that holds no lock: see {@link PageReservation}), handed back to it to write back and evict
 * (the kernel's pageout from its LRU tail), so a cache full of dirty pages frees the pages the
 * hand points at, not pages chosen elsewhere that the hand may reach only a lap later.
 *
 * <p><b>New pages.</b> A page is admitted unreferenced into a free slot, most recently freed
 * first: that is the slot the hand just emptied, so a new page gets a whole lap before the hand
 * comes back, and a second access (which sets its bit) earns it a second one. A page read once by
 * a scan therefore leaves before pages that are read again (the kernel's inactive list).
 * NOREUSE pages (fadvise) get no second chance.
 *
 * <p><b>Concurrency.</b> One mutex guards the ring: admission and removal hold it for a few
 * stores, reclaim for the pages it evicts. Reclaim only <em>tries</em> page locks under it; the
 * paths that remove a page hold its page lock and then take the mutex. So the order is page
 * lock, then mutex, and the reverse never waits: no deadlock. Referenced bits are set without
 * any lock (a racy hint, see {@link Page#touch}).
 *
 * <p><b>Threads that must not wait</b> (an event loop filling a miss) never wait for the mutex:
 * a holder preempted in its few stores would otherwise stall every connection of the loop.
 * {@link #admitWithoutWaiting} never fails: when the mutex is busy the pages go on a lock-free
 * queue of {@link #PENDING} admissions that every holder of the mutex gives slots to first
 * (so a page is in the ring, for reclaim, the removal, and the counters, by the time anyone
 * looks under the mutex). It used to fail instead, and its caller threw away a page it had
 * already filled and handed the read to a worker: with two event loops missing into a full
 * cache, one loop's admission or reclaim made the other's fail several percent of the time, and
 * the worker it fell back to then held the same mutexes with a blocking lock, so more tries
 * failed (the 4 KiB random-read regression of 2026-12-05). {@link #tryReclaim} spins on the
 * mutex for at most {@link #TRY_SPINS} tries (critical sections are a few stores, or one
 * reclaim batch) before it reports failure and its caller goes to a worker. Such a thread admits
 * a page only once it is filled, so a page it must drop again was never admitted and its removal
 * needs no mutex either.
 *
 * <p>References: the CLOCK of Corbató (1968) and Linux's {@code mm/vmscan.c} (second chance,
 * scan budgets, direct reclaim); Caffeine's {@code BoundedLocalCache} design note weighs the
 * same trade-off for a concurrent cache (amortising policy work over accesses, and never
 * blocking a reader for it).
 */
final class PageClock {
    private static final int INITIAL_SLOTS = 1024;
    /** tryLock attempts before {@link #tryReclaim} gives up on a busy mutex. */
    static final int TRY_SPINS = 64;
    /** {@code Page.clockSlot} of a page on {@link #pending}: admitted, its slot not yet given. */
    static final int PENDING = -2;

    private final int wastePerPage;
    private final ReentrantLock mutex = new ReentrantLock();
    // guarded by mutex
    private Page[] slots = new Page[INITIAL_SLOTS];
    private int[] free = new int[INITIAL_SLOTS];
    private int freeCount;
    private int used; // slots [0, used) have been handed out at least once
    private int hand;
    private int resident;
    private long visits; // slots the hand has passed, ever (for tests)
    /**
     * Pages admitted while the mutex was busy ({@link #admitWithoutWaiting}); every holder of the
     * mutex gives them slots before anything else. One that the last holder missed waits for the
     * next (every miss and every reclaim takes the mutex): meanwhile it is only not evictable.
     */
    private final ConcurrentLinkedQueue<Page> pending = new ConcurrentLinkedQueue<>();

    /**
     * @param wastePerPage visits of pages that cannot be evicted (and of free slots) that one
     *                     call may spend per page it was asked to free
     */
    PageClock(int wastePerPage) {
        this.wastePerPage = wastePerPage;
    }

    /** A page just entered its volume's index (its lock is held): it takes a slot. */
    void admit(Page p) {
        lock();
        try {
            admitLocked(p);
        } finally {
            mutex.unlock();
        }
    }

    /**
     * {@link #admit} of each page of {@code run} (their locks held) without waiting: at once if
     * the mutex is free, else through {@link #pending} (see "Threads that must not wait").
     */
    void admitWithoutWaiting(List<Page> run) {
        if (mutex.tryLock()) {
            try {
                admitPendingLocked();
                for (Page p : run) {
                    admitLocked(p);
                }
            } finally {
                mutex.unlock();
            }
            return;
        }
        for (Page p : run) {
            p.clockSlot = PENDING; // under its page lock: what remove() reads, under the same lock
            pending.offer(p);
        }
    }

    /** The mutex, with the pending admissions given their slots. */
    private void lock() {
        mutex.lock();
        admitPendingLocked();
    }

    private void admitPendingLocked() {
        for (Page p; (p = pending.poll()) != null; ) {
            admitLocked(p);
        }
    }

    private void admitLocked(Page p) {
        int slot;
        if (freeCount > 0) {
            slot = free[--freeCount];
        } else {
            if (used == slots.length) {
                slots = Arrays.copyOf(slots, 2 * used);
                free = Arrays.copyOf(free, 2 * used);
            }
            slot = used++;
        }
        slots[slot] = p;
        p.clockSlot = slot;
        resident++;
    }

    /**
     * A page left its volume's index (its lock is held, or reclaim evicted it): its slot is free.
     * A page never admitted (its {@code clockSlot} is -1, read under its page lock: only its
     * inserter, holding that lock, admits it) costs no mutex. A {@link #PENDING} one gets its
     * slot as the mutex is taken, and leaves it at once.
     */
    void remove(Page p) {
        if (p.clockSlot == -1) {
            return; // never admitted
        }
        lock();
        try {
            int slot = p.clockSlot;
            if (slot < 0 || slots[slot] != p) {
                return;
            }
            slots[slot] = null;
            p.clockSlot = -1;
            free[freeCount++] = slot;
            resident--;
        } finally {
            mutex.unlock();
        }
    }

    int resident() {
        return (int) read(() -> resident);
    }

    /** Slots the hand has passed since the clock was made. */
    long visits() {
        return read(() -> visits);
    }

    /** Slots handed out so far: the ring's length. */
    int slots() {
        return (int) read(() -> used);
    }

    /** A counter read under the mutex (tests and metrics: never on a hot path). */
    private long read(LongSupplier counter) {
        lock();
        try {
            return counter.getAsLong();
        } finally {
            mutex.unlock();
        }
    }


    /**
     * Evicts up to {@code target} clean, unlocked, unmapped, uptodate pages; returns how many.
     * Gives up after {@code wastePerPage * target} visits that could not evict (see the class
     * comment), however large the cache. With {@code dirtyOut}, dirty pages the hand would have
     * evicted were they clean are added to it (until evicted plus collected reach the target)
     * for the caller to write back and evict outside this mutex (see
     * {@link PageWriteback#pageOut}).
     */
    int reclaim(int target, List<Victim> dirtyOut) {
        lock();
        try {
            return reclaimLocked(target, dirtyOut);
        } finally {
            mutex.unlock();
        }
    }

    /**
     * {@link #reclaim} (clean pages only) if the mutex can be had within {@link #TRY_SPINS}
     * tries; -1 if it cannot.
     */
    int tryReclaim(int target) {
        for (int i = 0; !mutex.tryLock(); i++) {
            if (i == TRY_SPINS) {
                return -1;
            }
            Thread.onSpinWait();
        }
        admitPendingLocked();
        try {
            return reclaimLocked(target, null);
        } finally {
            mutex.unlock();
        }
    }

    private int reclaimLocked(int target, List<Victim> dirtyOut) {
        int evicted = 0;
        long wasteLeft = (long) wastePerPage * target;
        while (evicted + (dirtyOut == null ? 0 : dirtyOut.size()) < target && wasteLeft > 0 && used > 0) {
            if (hand >= used) {
                hand = 0;
            }
            Page p = slots[hand++];
            visits++;
            if (p == null) {
                wasteLeft--;
                continue;
            }
            if (!p.isNoReuse() && p.testAndClearReferenced()) {
                continue; // paid for by the access that set it
            }
            if (!p.tryLock()) {
                wasteLeft--;
                continue;
            }
            try {
                if (!p.isLive() || p.reentered() || p.isWriteback() || p.mapCount() > 0 || !p.isUptodate()) {
                    wasteLeft--;
                } else if (p.isDirty()) {
                    if (dirtyOut != null) {
                        dirtyOut.add(new Victim(p.owner(), p.index())); // the key, read under the page lock
                    } else {
                        wasteLeft--;
                    }
                } else {
                    p.owner().evict(p); // calls remove(p), reentering the mutex
                    evicted++;
                }
            } finally {
                p.unlock();
            }
        }
        return evicted;
    }

    /**
     * A dirty page the hand chose, by its key: its caller writes it back after this page's lock
     * and the mutex are released, by which time the page object may be another index's (see
     * {@link Page}), so the key is what it looks up again ({@link PageWriteback#pageOut}).
     */
    record Victim(PageCache owner, long index) {
    }

    /** The mutex itself, for tests that hold it from another thread to show who only tries it. */
    ReentrantLock mutexForTests() {
        return mutex;
    }

    void clear() {
        mutex.lock();
        try {
            for (Page p; (p = pending.poll()) != null; ) {
                p.clockSlot = -1;
            }
            Arrays.fill(slots, null);
            freeCount = 0;
            used = 0;
            hand = 0;
            resident = 0;
        } finally {
            mutex.unlock();
        }
    }
}
