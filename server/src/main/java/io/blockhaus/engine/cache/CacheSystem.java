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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * The machinery all volumes' page caches share: page memory (one {@link MemoryBudget}, one
 * {@link PagePool} per page size), reclaim, and dirty-page writeback and throttling.
 *
 * <h2>Design</h2>
 * <ul>
 *   <li><b>Reclaim</b> is a CLOCK over a ring of slots, one per resident page of every volume
 *       ({@link PageClock}): a page accessed since the hand last passed gets another lap;
 *       dirty, locked, mapped or not-yet-uptodate pages are passed; NOREUSE pages get no second
 *       chance. One call costs what it frees plus a bounded number of passed pages, whatever
 *       the size of the cache.</li>
 *   <li><b>No thread depends on another for memory.</b> A thread that cannot reserve a page
 *       reclaims clean pages itself; if everything is dirty it writes pages back itself (like
 *       the kernel's direct reclaim) and then reclaims. Only when every page is pinned (mapped
 *       or locked) does it wait, until memory is freed or a page turns evictable
 *       ({@link MemoryWaits}: woken, not polling), for at most the configured time, then fails
 *       with ENOMEM. So the engine is correct with no background threads at all; the background
 *       writer only smooths latency.</li>
 *   <li><b>Dirty throttling</b>: above the hard ratio a buffered writer writes pages back
 *       itself before dirtying more; above the background ratio the background writer is woken.
 *       Dirty memory therefore never exceeds the hard ratio by more than one write's worth per
 *       writer. A writer whose own volume's writeback is failing waits for its retry instead.</li>
 *   <li><b>A failing disk</b>: a failed writeback keeps its pages dirty, is recorded in the
 *       volume's {@link WritebackErrors} (each handle's next flush or FUA write reports it once)
 *       and stops the volume's writeback by anyone but a client (flush, FUA, shootdown) until
 *       its {@link WritebackBackoff} retry is due, so a failing disk costs a bounded number of
 *       calls, not one per page written.</li>
 *   <li><b>Nobody waits for memory holding a lock.</b> A path that inserts pages reserves their
 *       memory ({@link #reserve}) before it takes ADD, holding no page lock; under ADD it only
 *       draws on the reservation or reclaims clean pages, never writes back or waits. So a
 *       direct I/O waiting for BLOCK never waits behind someone else's memory shortage, and
 *       reclaim never finds the allocating thread's own locked pages.</li>
 * </ul>
 */
public final class CacheSystem implements AutoCloseable {
    private static final int RECLAIM_BATCH = 32;
    /** Pinned pages one reclaim call may pass per page asked for (see {@link PageClock}). */
    static final int WASTE_PER_PAGE = 8;

    private final MemoryBudget budget;
    private final long expireNanos;
    private final long memoryWaitNanos;
    private final LongSupplier nanoClock;
    private final ConcurrentHashMap<Integer, PagePool> pools = new ConcurrentHashMap<>();
    private final PageClock clock = new PageClock(WASTE_PER_PAGE);
    private final MemoryWaits waits = new MemoryWaits();
    private final CopyOnWriteArrayList<PageCache> caches = new CopyOnWriteArrayList<>();
    private final ThrottledWriters throttled = new ThrottledWriters();
    private final NonBlockingGiveUps giveUps = new NonBlockingGiveUps();
    /** Budgeted waits for any page's lock (see {@link Page#lock(CallBudget)}); every last unlock signals it. */
    private final ReleaseWaits pageLockWaits = new ReleaseWaits();
    private volatile Runnable backgroundKick = () -> { };
    /** Where pools carve their next slab ahead of need (see {@link PagePool}); null: nowhere. */
    private volatile java.util.concurrent.Executor carver;
    /** Where pools map their slabs; null: ordinary native memory. */
    private final HugePageMemory hugePages;
    private int roundRobin; // racy by design: only spreads writeback across volumes

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
        this.expireNanos = expireNanos;
        this.memoryWaitNanos = memoryWaitNanos;
        this.nanoClock = nanoClock;
    }

    /** How long a page lock is waited for before ETIMEDOUT: the memory wait (see {@link Page#lock()}). */
    long pageLockWaitNanos() {
        return memoryWaitNanos;
    }

    /** Called when dirty memory passes the background ratio (wakes the background writer). */
    public void onBackgroundThreshold(Runnable kick) {
        this.backgroundKick = kick;
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

    /**
     * Budget for up to {@code pages} pages of {@code pageSize}, taken by a caller that holds no
     * lock of the engine (no pagecache lock, no page lock). With {@code waitForFirst} the first
     * page is had whatever it takes: reclaim, writing dirty pages back, and finally waiting to be
     * woken (ENOMEM past the memory-wait deadline); the others only as far as clean pages can be
     * reclaimed. Without, none waits and the reservation may be empty. The wait lasts the memory
     * wait or until {@code call}'s deadline if sooner (ETIMEDOUT then), and ends at once if the
     * call is cancelled (EINTR); either way nothing is reserved.
     */
    PageReservation reserve(PageCache owner, int pages, boolean waitForFirst, CallBudget call) {
        int pageSize = owner.pageSize();
        int got = 0;
        if (pages > 0 && waitForFirst) {
            reserveWaiting(owner, call);
            got = 1;
        }
        while (got < pages && tryReserveReclaiming(pageSize)) {
            got++;
        }
        return new PageReservation(this, pageSize, got);
    }

    /** The unused part of a reservation goes back. */
    void unreserve(int pageSize, int pages) {
        budget.release((long) pageSize * pages);
        waits.signal();
    }

    /** One page's budget, reclaiming clean pages if needed; false when that is not enough. Never waits. */
    private boolean tryReserveReclaiming(int pageSize) {
        while (!budget.tryReserve(pageSize)) {
            if (clock.reclaim(RECLAIM_BATCH, null) == 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * One page's budget whatever it takes (see {@link #reserve}). The wait is woken by
     * {@link MemoryWaits}: memory freed or a page turned evictable, never a timer; or by the
     * call's cancellation, which unparks the thread the same way.
     */
    private void reserveWaiting(PageCache owner, CallBudget call) {
        int pageSize = owner.pageSize();
        if (budget.tryReserve(pageSize)) {
            return; // the common case, even under a full budget: reclaim frees a batch at a time
        }
        List<PageClock.Victim> dirty = new ArrayList<>();
        // First without announcing a wait: while a waiter is announced, every unlock of an
        // evictable page anywhere notifies, and under a full budget every miss comes here.
        if (reserveReclaimingOrPagingOut(pageSize, dirty)) {
            return;
        }
        long began = System.nanoTime(); // real time for the listener and the call; the deadline is on the engine's clock
        long deadline = now() + call.waitNanos(memoryWaitNanos);
        long seen = waits.prepare();
        try (CallBudget.Registration wake = call.wakeOnCancel()) {
            while (!reserveReclaimingOrPagingOut(pageSize, dirty)) {
                if (budget.dirty() > 0 && writebackSome(RECLAIM_BATCH) > 0) {
                    continue; // dirty pages the hand could not reach yet (referenced, or busy)
                }
                if (call.isCancelled()) {
                    throw call.cancelled("page memory");
                }
                if (now() - deadline >= 0 || call.remainingNanos() == 0) {
                    if (call.endedBefore(began, memoryWaitNanos)) {
                        throw call.ended("page memory"); // cancelled since the check above: EINTR still
                    }
                    throw new ErrnoException(Errno.ENOMEM, "page cache full of pinned pages (mapped or locked) for "
                            + (memoryWaitNanos / 1_000_000) + " ms; raise --cache-size or unmap");
                }
                seen = waits.await(seen, deadline, nanoClock, call);
            }
        } finally {
            waits.done();
            owner.events().memoryWaited(System.nanoTime() - began);
        }
    }

    /** One page's budget from clean pages, or from dirty ones the hand chose (written back first). */
    private boolean reserveReclaimingOrPagingOut(int pageSize, List<PageClock.Victim> dirty) {
        while (!budget.tryReserve(pageSize)) {
            dirty.clear();
            if (clock.reclaim(RECLAIM_BATCH, dirty) == 0 && pageOut(dirty) == 0) {
                return false;
            }
        }
        return true;
    }

    /** Writes back and evicts the dirty pages the clock hand chose; returns how many were evicted. */
    private static int pageOut(List<PageClock.Victim> dirty) {
        int evicted = 0;
        for (PageClock.Victim v : dirty) {
            evicted += v.owner().dirtyPagesWriteback().pageOut(v.index());
        }
        return evicted;
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
        if ((r == null || !r.take()) && !tryReserveReclaiming(ps)) {
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
        int reserved = reserveWithoutWaitingOrWhy(budget, ps, () -> clock.tryReclaim(RECLAIM_BATCH));
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
     * One page's budget for a thread that must not wait ({@link #allocateWithoutWaiting}): the
     * budget, else what {@code tryReclaim} frees (the clock's reclaim, only if its mutex can be
     * had: -1 when it cannot, else the pages evicted), else one more try of the budget, since
     * the mutex's holder (reclaiming, most likely) or any other thread may just have freed
     * some. True when exactly one page's worth was taken.
     *
     * <p><b>Each successful {@code tryReserve} is a reservation</b>, so the retry after a failed
     * reclaim ends the loop either way. It used to fall back into the loop's condition when it
     * succeeded, which reserved a second page for the one allocated: a page's worth of budget
     * lost for good each time another thread freed memory between the two tries (issue 11: the
     * FsxModelTest failure "usedBytes 4096 after closing every volume", background threads on,
     * where the readahead thread reclaims while the test's non-blocking reads allocate;
     * {@code CloseUnderBackgroundWorkStressTest} found it in its first iterations and
     * {@code ReserveWithoutWaitingTest} replays the interleaving).
     */
    static boolean reserveWithoutWaiting(MemoryBudget budget, int pageSize, IntSupplier tryReclaim) {
        return reserveWithoutWaitingOrWhy(budget, pageSize, tryReclaim) > 0;
    }

    /**
     * {@link #reserveWithoutWaiting}, saying why it failed: 1 reserved, -1 not (the reclaim's
     * mutex was busy), 0 not (it found nothing to evict).
     */
    static int reserveWithoutWaitingOrWhy(MemoryBudget budget, int pageSize, IntSupplier tryReclaim) {
        while (!budget.tryReserve(pageSize)) {
            int freed = tryReclaim.getAsInt();
            if (freed <= 0) {
                // busy or nothing evictable: one last look, never a second page
                return budget.tryReserve(pageSize) ? 1 : Integer.signum(freed);
            }
        }
        return 1;
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
        return throttled.waiters();
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

    // ---------------------------------------------------------------- writeback

    /**
     * Writes back up to about {@code target} dirty pages from any volume, in contiguous runs;
     * volumes whose writeback is failing only when their retry is due (see {@link WritebackBackoff}).
     */
    int writebackSome(int target) {
        int written = 0;
        int n = caches.size();
        for (int i = 0; i < n && written < target; i++) {
            int k = Math.floorMod(roundRobin++, n);
            PageCache c;
            try {
                c = caches.get(k);
            } catch (IndexOutOfBoundsException e) {
                break; // a volume closed meanwhile
            }
            written += c.dirtyPagesWriteback().writebackOldestRuns(target - written);
        }
        return written;
    }

    /**
     * Called by buffered writers of {@code writer}'s volume before they dirty more pages, holding
     * no locks: above the hard ratio they write back themselves. When that writes nothing because
     * their own volume's writeback is failing, they wait (dirty throttling) for its next retry,
     * not spin: a failing volume's dirty pages stop growing at the hard ratio, so the rest of the
     * budget stays free for reads of every volume. A writer still over the ratio after the
     * memory wait fails with the volume's writeback errno (ENOSPC, EIO): the disk takes nothing.
     *
     * <p>The throttle is a wait like the others of a call: {@code call}'s deadline ends it with
     * {@code ETIMEDOUT} and its cancellation at once with {@code EINTR} (the waiter is
     * registered with {@link CallBudget#wakeOnCancel}). Writers call this before each page they
     * dirty, so before their first change it is their last cancellation point and they pass
     * their call; after it they pass {@link CallBudget#NONE} and complete under this bound.
     */
    public void balanceDirty(PageCache writer, CallBudget call) {
        if (budget.overBackground()) {
            backgroundKick.run();
        }
        long deadline = 0;
        boolean counted = false;
        while (budget.overHard()) {
            if (!counted) {
                counted = true;
                writer.writebackEvents().throttled();
            }
            if (writebackSome(RECLAIM_BATCH) > 0) {
                continue;
            }
            if (!writer.writebackFailing()) {
                return; // every dirty page is busy (someone is writing it) or another volume's
            }
            long now = now();
            if (deadline == 0) {
                deadline = now + memoryWaitNanos;
            } else if (now - deadline >= 0) {
                throw throttledTooLong(writer);
            }
            if (call.isCancelled()) {
                throw call.cancelled("writeback of dirty pages (throttled)");
            }
            if (call.remainingNanos() == 0) { // before the engine's bound, which throws above
                throw call.ended("writeback of dirty pages (throttled)"); // EINTR if cancelled since
            }
            throttled.await(Math.min(Math.max(writer.dirtyPagesWriteback().nanosUntilRetry(now), 1), deadline - now), call);
        }
    }

    private ErrnoException throttledTooLong(PageCache writer) {
        ErrnoException last = writer.writebackErrors().latest();
        return new ErrnoException(last == null ? Errno.EIO : last.errno(), "dirty page memory is over the hard limit and "
                + writer + " cannot write back (for " + (memoryWaitNanos / 1_000_000) + " ms)", last);
    }

    /** Pages were cleaned: throttled writers look again. */
    void writebackProgressed() {
        throttled.wake();
    }

    /**
     * One background writeback pass: expired pages, then down below the background ratio.
     * Returns whether it is stuck: still over the background ratio, nothing written, and some
     * volume waiting for a writeback retry, so that the background writer waits for its interval
     * rather than run again at every writer's kick.
     */
    public boolean backgroundPass() {
        try {
            long cutoff = now() - expireNanos;
            for (PageCache c : caches) {
                c.dirtyPagesWriteback().writebackExpired(cutoff);
            }
            while (budget.overBackground()) {
                if (writebackSome(RECLAIM_BATCH) == 0) {
                    return caches.stream().anyMatch(PageCache::writebackFailing);
                }
            }
            return false;
        } finally {
            throttled.wake(); // throttled writers re-read the clock: their retry may be due
        }
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
