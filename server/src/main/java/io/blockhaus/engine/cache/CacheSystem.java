package io.blockhaus.engine.cache;

import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import io.blockhaus.engine.store.BackingStore;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The machinery all volumes' page caches share: page memory (one {@link MemoryBudget}, one
 * {@link PagePool} per page size), reclaim, and dirty-page writeback and throttling.
 *
 * <h2>Design</h2>
 * <ul>
 *   <li><b>Reclaim</b> is a second-chance FIFO (CLOCK) over every resident page of every volume:
 *       a page accessed since the hand last passed gets another lap; dirty, locked, mapped or
 *       not-yet-uptodate pages are skipped; NOREUSE pages get no second chance. Dead entries
 *       (pages shot down or evicted) are dropped when the hand reaches them, and purged in bulk
 *       when they outnumber live ones, so the queue stays proportional to the cache.</li>
 *   <li><b>No thread depends on another for memory.</b> A thread that cannot reserve a page
 *       reclaims clean pages itself; if everything is dirty it writes pages back itself (like
 *       the kernel's direct reclaim) and then reclaims. Only when every page is pinned (mapped
 *       or locked) does it wait, for at most the configured time, then fails with ENOMEM. So the
 *       engine is correct with no background threads at all; the background writer only
 *       smooths latency.</li>
 *   <li><b>Dirty throttling</b>: above the hard ratio a buffered writer writes pages back
 *       itself before dirtying more; above the background ratio the background writer is woken.
 *       Dirty memory therefore never exceeds the hard ratio by more than one write's worth per
 *       writer. A writer whose own volume's writeback is failing waits for its retry instead.</li>
 *   <li><b>A failing disk</b>: a failed writeback keeps its pages dirty, is recorded in the
 *       volume's {@link WritebackErrors} (each handle's next flush or FUA write reports it once)
 *       and stops the volume's writeback by anyone but a client (flush, FUA, shootdown) until
 *       its {@link WritebackBackoff} retry is due, so a failing disk costs a bounded number of
 *       calls, not one per page written.</li>
 *   <li>Callers allocate pages while holding no page lock (page locks are reentrant, and reclaim
 *       must never find the allocating thread's own new pages evictable); they may hold the
 *       pagecache lock in ADD mode, which reclaim and writeback never need.</li>
 * </ul>
 */
public final class CacheSystem implements AutoCloseable {
    private static final int RECLAIM_BATCH = 32;

    private final MemoryBudget budget;
    private final long expireNanos;
    private final long memoryWaitNanos;
    private final LongSupplier nanoClock;
    private final ConcurrentHashMap<Integer, PagePool> pools = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<Page> clock = new ConcurrentLinkedQueue<>();
    private final AtomicLong resident = new AtomicLong();
    private final AtomicLong deadInClock = new AtomicLong();
    private final CopyOnWriteArrayList<PageCache> caches = new CopyOnWriteArrayList<>();
    private final Object memoryFreed = new Object();
    private final java.util.concurrent.atomic.AtomicInteger memoryWaiters = new java.util.concurrent.atomic.AtomicInteger();
    private final ThrottledWriters throttled = new ThrottledWriters();
    private volatile Runnable backgroundKick = () -> { };
    private int roundRobin; // racy by design: only spreads writeback across volumes

    public CacheSystem(long cacheBytes, double backgroundRatio, double hardRatio, long expireNanos,
            long memoryWaitNanos, LongSupplier nanoClock) {
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
        PageCache c = new PageCache(this, name, store, pageSize, volumeSize);
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

    MemoryBudget budget() {
        return budget;
    }

    // ---------------------------------------------------------------- allocation

    /**
     * A new, unlocked, not-yet-indexed page. With {@code mayWait} it reclaims, writes back and
     * finally waits as needed and throws ENOMEM past the deadline; without, it reclaims clean
     * pages only and returns null when that is not enough (readahead is a hint).
     */
    Page allocate(PageCache owner, long index, boolean mayWait) {
        int ps = owner.pageSize();
        long deadline = 0;
        while (!budget.tryReserve(ps)) {
            if (reclaim(RECLAIM_BATCH) > 0) {
                continue;
            }
            if (!mayWait) {
                return null;
            }
            if (budget.dirty() > 0 && writebackSome(RECLAIM_BATCH) > 0) {
                continue;
            }
            long now = now();
            if (deadline == 0) {
                deadline = now + memoryWaitNanos;
            } else if (now - deadline > 0) {
                throw new ErrnoException(Errno.ENOMEM, "page cache full of pinned pages (mapped or locked) for "
                        + (memoryWaitNanos / 1_000_000) + " ms; raise --cache-size or unmap");
            }
            awaitMemory();
        }
        MemorySegment seg;
        try {
            seg = pool(ps).allocate();
        } catch (RuntimeException | OutOfMemoryError e) {
            budget.release(ps);
            throw new ErrnoException(Errno.ENOMEM, "cannot allocate page memory", e);
        }
        return new Page(owner, index, seg);
    }

    /** A page the allocator made but nobody indexed (lost an insertion race, or not needed). */
    void freeUnused(Page p) {
        pool(p.owner().pageSize()).free(p.memory());
        budget.release(p.owner().pageSize());
        signalMemory();
    }

    /** The page was just indexed: it joins the clock. */
    void admitted(Page p) {
        resident.incrementAndGet();
        clock.offer(p);
    }

    /** The page was killed and unindexed (lock held by the caller): its memory goes back. */
    void released(Page p) {
        resident.decrementAndGet();
        pool(p.owner().pageSize()).free(p.memory());
        budget.release(p.owner().pageSize());
        if (deadInClock.incrementAndGet() > Math.max(1024, resident.get())) {
            purgeDead();
        }
        signalMemory();
    }

    private PagePool pool(int pageSize) {
        return pools.computeIfAbsent(pageSize, PagePool::new);
    }

    private void purgeDead() {
        deadInClock.set(0);
        clock.removeIf(p -> !p.isLive());
    }

    /** Wakes allocators waiting for memory; costs one volatile read when nobody waits (the usual case). */
    private void signalMemory() {
        if (memoryWaiters.get() > 0) {
            synchronized (memoryFreed) {
                memoryFreed.notifyAll();
            }
        }
    }

    private void awaitMemory() {
        memoryWaiters.incrementAndGet();
        try {
            synchronized (memoryFreed) {
                // Woken by any page freed; the bound covers a page freed between our last
                // reclaim and the increment above.
                memoryFreed.wait(10);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ErrnoException(Errno.EINTR, "interrupted while waiting for page memory");
        } finally {
            memoryWaiters.decrementAndGet();
        }
    }

    // ---------------------------------------------------------------- reclaim

    /** Evicts up to {@code target} clean, unlocked, unmapped pages; returns how many. */
    int reclaim(int target) {
        int evicted = 0;
        long limit = 2 * resident.get() + 16;
        for (long scanned = 0; scanned < limit && evicted < target; scanned++) {
            Page p = clock.poll();
            if (p == null) {
                break;
            }
            if (!p.isLive()) {
                deadInClock.decrementAndGet();
                continue;
            }
            if (!p.tryLock()) {
                clock.offer(p);
                continue;
            }
            try {
                if (!p.isLive()) {
                    deadInClock.decrementAndGet();
                    continue;
                }
                boolean pinned = p.isDirty() || p.isWriteback() || p.mapCount() > 0 || !p.isUptodate()
                        || p.reentered();
                if (pinned || (!p.isNoReuse() && p.testAndClearReferenced())) {
                    clock.offer(p);
                    continue;
                }
                p.owner().evict(p);
                deadInClock.decrementAndGet(); // it is off the queue already
                evicted++;
            } finally {
                p.unlock();
            }
        }
        return evicted;
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
            written += c.writebackOldestRuns(target - written);
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
     */
    public void balanceDirty(PageCache writer) {
        if (budget.overBackground()) {
            backgroundKick.run();
        }
        long deadline = 0;
        while (budget.overHard()) {
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
            throttled.await(Math.min(Math.max(writer.nanosUntilWritebackRetry(now), 1), deadline - now));
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
                c.writebackExpired(cutoff);
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
