package io.blockhaus.engine.cache;

import io.blockhaus.engine.call.CallBudget;
import io.blockhaus.engine.call.ReleaseWaits;
import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import io.blockhaus.engine.events.CacheListener;
import io.blockhaus.engine.events.ReadaheadListener;
import io.blockhaus.engine.events.WritebackListener;
import io.blockhaus.engine.store.BackingStore;
import io.blockhaus.engine.store.HugePageMemory;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongSupplier;

/**
 * The machinery all volumes' page caches share, and the one place that wires it together: page
 * memory (one {@link MemoryBudget}, one {@link PagePool} per page size), the reclaim clock
 * ({@link PageClock}), and the registry of volumes' caches. A page's life goes through here:
 * {@link #allocate} (budget and frame), {@link #admitted} (into the clock), {@link #released}
 * and {@link #recycle} (back to the pool and the budget). The policies are classes of their own:
 *
 * <ul>
 *   <li><b>Finding memory</b> ({@link DirectReclaim}): a thread short of memory reclaims clean
 *       pages, pages dirty ones out and writes back itself, and waits (woken, not polling) only
 *       when every page is pinned; nobody waits for memory holding a lock, so a path that
 *       inserts pages {@linkplain #reserve reserves} before it takes ADD.</li>
 *   <li><b>Reclaim</b> ({@link PageClock}): a CLOCK over a ring of slots, one per resident page
 *       of every volume; one call costs what it frees plus a bounded number of passed pages,
 *       whatever the size of the cache.</li>
 *   <li><b>Dirty memory</b> ({@link DirtyThrottle}): background writeback above the background
 *       ratio, writers throttled above the hard ratio, a failing volume's writers waiting for
 *       its {@link WritebackBackoff} retry rather than spinning. A failed writeback keeps its
 *       pages dirty and is reported to each handle once ({@link WritebackErrors}).</li>
 *   <li><b>Threads that must not wait</b> (event loops): {@link #allocateWithoutWaiting} only
 *       tries every mutex, and counts why it gave up ({@link NonBlockingGiveUps}).</li>
 * </ul>
 */
public final class CacheSystem implements AutoCloseable {
    /** Pages one reclaim or writeback round aims at before its caller looks at the budget again. */
    static final int RECLAIM_BATCH = 32;
    /** Pinned pages one reclaim call may pass per page asked for (see {@link PageClock}). */
    static final int WASTE_PER_PAGE = 8;

    private final MemoryBudget budget;
    private final long memoryWaitNanos;
    private final LongSupplier nanoClock;
    private final ConcurrentHashMap<Integer, PagePool> pools = new ConcurrentHashMap<>();
    private final PageClock clock = new PageClock(WASTE_PER_PAGE);
    private final MemoryWaits waits = new MemoryWaits();
    private final CopyOnWriteArrayList<PageCache> caches = new CopyOnWriteArrayList<>();
    private final NonBlockingGiveUps giveUps = new NonBlockingGiveUps();
    /** Budgeted waits for any page's lock (see {@link Page#lock(CallBudget)}); every last unlock signals it. */
    private final ReleaseWaits pageLockWaits = new ReleaseWaits();
    /** Where pools carve their next slab ahead of need (see {@link PagePool}); null: nowhere. */
    private volatile java.util.concurrent.Executor carver;
    /** Where pools map their slabs; null: ordinary native memory. */
    private final HugePageMemory hugePages;
    private final DirtyThrottle dirty;
    private final DirectReclaim directReclaim;

    public CacheSystem(long cacheBytes, double backgroundRatio, double hardRatio, long expireNanos,
            long memoryWaitNanos, LongSupplier nanoClock) {
        this(cacheBytes, backgroundRatio, hardRatio, expireNanos, memoryWaitNanos, nanoClock, null);
    }

    /**
     * @param hugePages where page pools map their slabs (see {@link PagePool}); null: the JVM's
     *                  ordinary native allocator
     */
    public CacheSystem(long cacheBytes, double backgroundRatio, double hardRatio, long expireNanos,
            long memoryWaitNanos, LongSupplier nanoClock, HugePageMemory hugePages) {
        this.hugePages = hugePages;
        this.budget = new MemoryBudget(cacheBytes, backgroundRatio, hardRatio);
        this.memoryWaitNanos = memoryWaitNanos;
        this.nanoClock = nanoClock;
        this.dirty = new DirtyThrottle(budget, caches, expireNanos, memoryWaitNanos, nanoClock);
        this.directReclaim = new DirectReclaim(budget, clock, waits, dirty, memoryWaitNanos, nanoClock);
    }

    /** How long a page lock is waited for before ETIMEDOUT: the memory wait (see {@link Page#lock()}). */
    long pageLockWaitNanos() {
        return memoryWaitNanos;
    }

    /** Called when dirty memory passes the background ratio (wakes the background writer). */
    public void onBackgroundThreshold(Runnable kick) {
        dirty.onBackgroundThreshold(kick);
    }

    public PageCache newCache(String name, BackingStore store, int pageSize, LongSupplier volumeSize) {
        return newCache(name, store, pageSize, volumeSize, CacheListener.NONE, ReadaheadListener.NONE,
                WritebackListener.NONE);
    }

    /** A volume's cache whose events go to the given listeners. */
    public PageCache newCache(String name, BackingStore store, int pageSize, LongSupplier volumeSize,
            CacheListener events, ReadaheadListener readaheadEvents, WritebackListener writebackEvents) {
        PageCache c = new PageCache(this, name, store, pageSize, volumeSize, events, readaheadEvents,
                writebackEvents);
        caches.add(c);
        return c;
    }

    void unregister(PageCache c) {
        caches.remove(c);
    }

    long now() {
        return nanoClock.getAsLong();
    }

    public long usedBytes() {
        return budget.used();
    }

    public long dirtyBytes() {
        return budget.dirty();
    }

    public long limitBytes() {
        return budget.limit();
    }

    /** Dirty bytes above which background writeback runs. */
    public long dirtyBackgroundBytes() {
        return budget.backgroundThreshold();
    }

    /** Dirty bytes above which writers write back themselves, or wait (dirty throttling). */
    public long dirtyHardBytes() {
        return budget.hardThreshold();
    }

    MemoryBudget budget() {
        return budget;
    }

    /** Why threads that must not wait gave reads up to workers, and how often (see {@link NonBlockingGiveUps}). */
    public NonBlockingGiveUps giveUps() {
        return giveUps;
    }

    // ---------------------------------------------------------------- allocation

    /** Budget for up to {@code pages} of {@code owner}'s pages, whatever it takes for the first if asked (see {@link DirectReclaim#reserve}). */
    PageReservation reserve(PageCache owner, int pages, boolean waitForFirst, CallBudget call) {
        return directReclaim.reserve(owner, pages, waitForFirst, call);
    }

    /**
     * A new page for {@code (owner, index)}, locked by the caller and not yet indexed (a recycled
     * page object re-keyed, see {@link Page}), its budget taken from {@code r} when it has any,
     * else reclaimed from clean pages; null when neither is possible. Never waits for memory:
     * callers may hold ADD (see {@link PageReservation}). The caller indexes it or gives it back
     * ({@link #freeUnused}).
     */
    Page allocate(PageCache owner, long index, PageReservation r) {
        int ps = owner.pageSize();
        if ((r == null || !r.take()) && !directReclaim.tryReserve(ps)) {
            return null;
        }
        PagePool.Frame frame;
        try {
            frame = owner.pool().allocate();
        } catch (RuntimeException | OutOfMemoryError e) {
            budget.release(ps);
            throw new ErrnoException(Errno.ENOMEM, "cannot allocate page memory", e);
        }
        Page p = frame.page(this);
        try {
            p.lock(); // free: only a stale locker may hold it, for its check (see Page)
        } catch (RuntimeException e) {
            giveBack(owner, frame);
            throw e;
        }
        p.rekey(owner, index);
        return p;
    }

    /** A frame taken from the pool and not used: it and its budget go back. */
    private void giveBack(PageCache owner, PagePool.Frame frame) {
        owner.pool().free(frame);
        budget.release(owner.pageSize());
        waits.signal();
    }

    /**
     * {@link #allocate} without a reservation for a thread that must not wait even for a mutex
     * (an event loop): null also when the clock or the pool stays busy for a few dozen tries,
     * or the pool would have to carve a slab. Its reclaim is the clock's bounded one (at most
     * {@link #WASTE_PER_PAGE} passed pages per page asked for), and only if the clock's mutex
     * can be had; while another thread holds it (reclaiming, most likely) the budget is tried
     * again, since that thread may just have freed some.
     */
    Page allocateWithoutWaiting(PageCache owner, long index) {
        int ps = owner.pageSize();
        int reserved = directReclaim.tryReserveWithoutWaiting(ps);
        if (reserved <= 0) {
            giveUps.count(reserved < 0 ? NonBlockingGiveUps.Reason.CLOCK_BUSY
                    : NonBlockingGiveUps.Reason.NOTHING_EVICTABLE);
            return null;
        }
        PagePool.Frame frame;
        try {
            frame = owner.pool().tryAllocate();
        } catch (RuntimeException e) {
            frame = null; // the pool is closing: the caller gives up, and the worker's path reports it
        }
        if (frame == null) {
            giveUps.count(NonBlockingGiveUps.Reason.POOL_EMPTY_OR_BUSY);
            budget.release(ps);
            waits.signal();
            return null;
        }
        Page p = frame.page(this);
        if (!p.tryLock()) { // a stale locker's check (see Page): rare, and this thread must not wait
            giveBack(owner, frame);
            return null;
        }
        p.rekey(owner, index);
        return p;
    }

    /**
     * A page {@link #allocate} handed out (locked by the caller) that nobody indexed (it lost an
     * insertion race, or was not needed): unlocked, and back to the pool with its budget.
     */
    void freeUnused(Page p) {
        p.freeOnUnlock();
        p.unlock();
    }

    /** The page was just indexed (its lock is held): it joins the clock. */
    void admitted(Page p) {
        clock.admit(p);
    }

    /** {@link #admitted} for each page of a run, without waiting for the clock's mutex (see {@link PageClock}). */
    void admittedWithoutWaiting(List<Page> run) {
        clock.admitWithoutWaiting(run);
    }

    /**
     * The page was killed and unindexed (lock held by the caller): it leaves the clock now, and
     * goes back to the pool with its budget at its last unlock ({@link #recycle}).
     */
    void released(Page p) {
        clock.remove(p);
        p.freeOnUnlock();
    }

    /**
     * A removed page's last unlock (see {@link Page}, "Free only after the last unlock"): its
     * frame, and the page object with it, back to the pool, then its budget, so an allocator
     * that the budget lets in finds the frame in the pool rather than carving a slab.
     */
    void recycle(Page p) {
        giveBack(p.owner(), p.frame());
    }

    ReleaseWaits pageLockWaits() {
        return pageLockWaits;
    }

    /** Calls waiting with a budget for a page's lock now (for tests: the list is clean after every wait). */
    public int pageLockWaiters() {
        return pageLockWaits.waiters();
    }

    /** A page was unlocked in a state reclaim could evict: a memory waiter may now succeed. */
    void pageEvictable() {
        waits.signal();
    }

    /** The pool of pages of this size (each cache asks once, when it is made). */
    PagePool pool(int pageSize) {
        return pools.computeIfAbsent(pageSize, ps -> {
            PagePool p = new PagePool(ps, budget.limit(), hugePages);
            java.util.concurrent.Executor c = carver;
            if (c != null) {
                p.carveAheadOn(c);
            }
            return p;
        });
    }

    /**
     * Carves the page pools made so far (one per page size of the volumes open now) up to the
     * budget, split evenly between them, on {@code threads} threads together, and returns the
     * bytes carved. The cache's memory is then zeroed by the kernel now, not on the first misses
     * (see "Prefault" in {@link PagePool}); a pool made later, for a volume of another page size,
     * carves as it goes. Waits for the threads; the first failure of any (the memory could not be
     * mapped) is thrown once all have stopped.
     */
    public long prefault(int threads) throws InterruptedException {
        return PoolPrefault.carve(List.copyOf(pools.values()), budget.limit(), threads);
    }

    /** Bytes of page memory the pools hold, free or in use (what {@link #prefault} carves). */
    public long carvedBytes() {
        long sum = 0;
        for (PagePool p : pools.values()) {
            sum += p.carvedBytes();
        }
        return sum;
    }

    /**
     * Page pools carve their next slab on {@code executor} before they run dry, so threads that
     * must not wait (event loops) find a frame while a fresh cache fills (see {@link PagePool}).
     * The executor must run the task on another thread. Without it, pools carve on demand only.
     */
    public void carveAheadOn(java.util.concurrent.Executor executor) {
        carver = executor;
        pools.values().forEach(p -> p.carveAheadOn(executor)); // pools made before this call
    }

    /** Writers throttled right now (see {@link #balanceDirty}). */
    public int throttledWriters() {
        return dirty.throttledWriters();
    }

    /** Allocators waiting for memory right now (asleep or about to be). */
    public int memoryWaiters() {
        return waits.waiters();
    }

    long clockVisits() {
        return clock.visits();
    }

    int clockSlots() {
        return clock.slots();
    }

    /** The reclaim clock (for tests that hold its mutex from another thread). */
    PageClock clock() {
        return clock;
    }

    // ---------------------------------------------------------------- reclaim

    /** Evicts up to {@code target} clean, unlocked, unmapped pages; returns how many (see {@link PageClock}). */
    int reclaim(int target) {
        return clock.reclaim(target, null);
    }

    // ---------------------------------------------------------------- dirty memory

    /** Dirty throttling before a writer dirties a page (see {@link DirtyThrottle#balanceDirty}). */
    public void balanceDirty(PageCache writer, CallBudget call) {
        dirty.balanceDirty(writer, call);
    }

    /** Pages were cleaned: throttled writers look again. */
    void writebackProgressed() {
        dirty.writebackProgressed();
    }

    /** One background writeback pass; true when stuck on a failing volume (see {@link DirtyThrottle#backgroundPass}). */
    public boolean backgroundPass() {
        return dirty.backgroundPass();
    }

    /** Whether a writer would have to write back before dirtying more (see {@link #balanceDirty}). */
    public boolean dirtyOverHardLimit() {
        return budget.overHard();
    }

    public boolean needsBackgroundWork() {
        return budget.overBackground();
    }

    @Override
    public void close() {
        for (PagePool p : pools.values()) {
            p.close();
        }
        pools.clear();
        clock.clear();
    }
}
