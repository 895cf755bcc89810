package io.blockhaus.engine.cache;

import io.blockhaus.engine.call.CallBudget;
import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * Takes page memory from the budget for the thread that needs it, freeing it itself when the
 * budget is full (the kernel's direct reclaim): clean pages the clock hand reaches are evicted,
 * dirty ones it reaches are written back and evicted (pageout), other dirty pages are written
 * back ({@link DirtyThrottle#writebackSome}); and only when every page is pinned (mapped or
 * locked) does the thread wait, woken when memory is freed or a page turns evictable
 * ({@link MemoryWaits}), never by a timer, for at most the memory wait (then ENOMEM).
 *
 * <h2>Invariants</h2>
 * <ul>
 *   <li><b>No thread depends on another for memory.</b> Whoever is short frees what it needs,
 *       so the engine is correct with no background thread at all, and a waiter waits only for
 *       what no thread could free (pinned pages), not for a thread to get round to it.</li>
 *   <li><b>Nobody waits for memory holding a lock.</b> Only {@link #reserve} writes back or
 *       waits, and its callers hold no lock of the engine (no pagecache lock, no page lock): a
 *       path that inserts pages reserves before it takes ADD, and under ADD it draws on the
 *       reservation or {@link #tryReserve} (clean pages only, never a write or a wait). So a
 *       direct I/O waiting for BLOCK never waits behind a memory shortage, and reclaim never finds
 *       the allocating thread's own locked pages.</li>
 *   <li><b>A wait is announced before the last look</b> ({@link MemoryWaits#prepare}), so a page
 *       freed between the look and the sleep wakes it. The first try goes without announcing:
 *       while a waiter is announced, every unlock of an evictable page anywhere signals, and
 *       under a full budget every miss comes here.</li>
 *   <li><b>Each successful {@code tryReserve} is one page's reservation</b>, also on the path
 *       that must not wait ({@link #reserveWithoutWaitingOrWhy}): budget taken is either handed
 *       to a page or {@linkplain #unreserve given back}, never lost.</li>
 * </ul>
 */
final class DirectReclaim {
    private final MemoryBudget budget;
    private final PageClock clock;
    private final MemoryWaits waits;
    private final DirtyThrottle dirty;
    private final long memoryWaitNanos;
    private final LongSupplier nanoClock;

    DirectReclaim(MemoryBudget budget, PageClock clock, MemoryWaits waits, DirtyThrottle dirty, long memoryWaitNanos,
            LongSupplier nanoClock) {
        this.budget = budget;
        this.clock = clock;
        this.waits = waits;
        this.dirty = dirty;
        this.memoryWaitNanos = memoryWaitNanos;
        this.nanoClock = nanoClock;
    }

    /**
     * Budget for up to {@code pages} pages of {@code owner}'s page size, taken by a caller that
     * holds no lock of the engine (no pagecache lock, no page lock). With {@code waitForFirst}
     * the first page is had whatever it takes: reclaim, writing dirty pages back, and finally
     * waiting to be woken (ENOMEM past the memory-wait deadline); the others only as far as clean
     * pages can be reclaimed. Without, none waits and the reservation may be empty. The wait
     * lasts the memory wait or until {@code call}'s deadline if sooner (ETIMEDOUT then), and ends
     * at once if the call is cancelled (EINTR); either way nothing is reserved.
     */
    PageReservation reserve(PageCache owner, int pages, boolean waitForFirst, CallBudget call) {
        int pageSize = owner.pageSize();
        int got = 0;
        if (pages > 0 && waitForFirst) {
            reserveWaiting(owner, call);
            got = 1;
        }
        while (got < pages && tryReserve(pageSize)) {
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
    boolean tryReserve(int pageSize) {
        while (!budget.tryReserve(pageSize)) {
            if (clock.reclaim(CacheSystem.RECLAIM_BATCH, null) == 0) {
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
        List<PageClock.Victim> victims = new ArrayList<>();
        // First without announcing a wait: while a waiter is announced, every unlock of an
        // evictable page anywhere notifies, and under a full budget every miss comes here.
        if (reserveReclaimingOrPagingOut(pageSize, victims)) {
            return;
        }
        long began = System.nanoTime(); // real time for the listener and the call; the deadline is on the engine's clock
        long deadline = nanoClock.getAsLong() + call.waitNanos(memoryWaitNanos);
        long seen = waits.prepare();
        try (CallBudget.Registration wake = call.wakeOnCancel()) {
            while (!reserveReclaimingOrPagingOut(pageSize, victims)) {
                if (budget.dirty() > 0 && dirty.writebackSome(CacheSystem.RECLAIM_BATCH) > 0) {
                    continue; // dirty pages the hand could not reach yet (referenced, or busy)
                }
                if (call.isCancelled()) {
                    throw call.cancelled("page memory");
                }
                if (nanoClock.getAsLong() - deadline >= 0 || call.remainingNanos() == 0) {
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
    private boolean reserveReclaimingOrPagingOut(int pageSize, List<PageClock.Victim> victims) {
        while (!budget.tryReserve(pageSize)) {
            victims.clear();
            if (clock.reclaim(CacheSystem.RECLAIM_BATCH, victims) == 0 && pageOut(victims) == 0) {
                return false;
            }
        }
        return true;
    }

    /** Writes back and evicts the dirty pages the clock hand chose; returns how many were evicted. */
    private static int pageOut(List<PageClock.Victim> victims) {
        int evicted = 0;
        for (PageClock.Victim v : victims) {
            evicted += v.owner().dirtyPagesWriteback().pageOut(v.index());
        }
        return evicted;
    }

    /**
     * One page's budget for a thread that must not wait even for a mutex (an event loop): 1
     * reserved; -1 not, the clock's mutex was busy; 0 not, it found nothing to evict (see
     * {@link #reserveWithoutWaitingOrWhy}).
     */
    int tryReserveWithoutWaiting(int pageSize) {
        return reserveWithoutWaitingOrWhy(budget, pageSize, () -> clock.tryReclaim(CacheSystem.RECLAIM_BATCH));
    }

    /**
     * One page's budget for a thread that must not wait: the budget, else what {@code
     * tryReclaim} frees (the clock's reclaim, only if its mutex can be had: -1 when it cannot,
     * else the pages evicted), else one more try of the budget, since the mutex's holder
     * (reclaiming, most likely) or any other thread may just have freed some. True when exactly
     * one page's worth was taken.
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
}
