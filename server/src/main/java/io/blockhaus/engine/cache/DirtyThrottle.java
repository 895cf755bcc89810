package io.blockhaus.engine.cache;

import io.blockhaus.engine.call.CallBudget;
import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Holds dirty page memory, over every volume, to the budget's two ratios: above the background
 * ratio the background writer is woken and its passes write back down below it; above the hard
 * ratio a writer writes back itself before it dirties another page, or, when its own volume's
 * disk is failing, waits for the retry (the kernel's {@code balance_dirty_pages}). Writeback is
 * taken from the volumes in turn, a few contiguous runs at a time ({@link #writebackSome}), for
 * the throttle, the background pass and an allocator short of memory alike.
 *
 * <h2>What it promises writers</h2>
 * <ul>
 *   <li><b>Dirty memory stays bounded.</b> Writers call {@link #balanceDirty} before each page
 *       they dirty, and it returns over the hard ratio only when nothing it can write is left:
 *       every dirty page is under writeback by another thread (which will clean it), or belongs
 *       to a volume whose writeback is failing and that is not the writer's. So dirty memory
 *       passes the hard ratio by at most one page per writer, plus a failing volume's pages,
 *       and those stop growing at the hard ratio because the failing volume's own writers wait.
 *       A healthy volume's writers meanwhile write their pages back as they go: they are slowed,
 *       never stopped, by another volume's broken disk, and the rest of the budget serves reads.</li>
 *   <li><b>A throttled writer's wait is bounded three ways</b>: the memory wait on the engine's
 *       clock (then the volume's writeback errno, ENOSPC or EIO, from {@link WritebackErrors}:
 *       the disk takes nothing, and the client hears why), its call's deadline ({@code ETIMEDOUT})
 *       and its call's cancellation ({@code EINTR}, at once: see {@link ThrottledWriters}).
 *       Before its first change a writer passes its call, so a throttle that gives up has
 *       changed nothing; after, {@link CallBudget#NONE}, and only the memory wait bounds it.</li>
 *   <li><b>No spinning on a failing disk.</b> Every writeback from here goes through the
 *       volume's {@link WritebackBackoff}: while its retry is not due a failing volume yields
 *       nothing, and exactly one thread makes the retry when it is. A throttled writer sleeps
 *       in {@link ThrottledWriters} until about that retry (at least 1 ms, at most a second, since
 *       a test's clock may jump) or until writeback cleans a page ({@link #writebackProgressed})
 *       or a background pass ends, and then looks again. So a failing disk costs one store call per
 *       retry however many writers are throttled, and the background writer is told it is
 *       {@linkplain #backgroundPass stuck}, so it waits for its interval instead of running a pass
 *       at every writer's kick.</li>
 * </ul>
 *
 * <h2>Never waiting while holding a lock</h2>
 * The throttle is called holding no lock of the engine: not the pagecache lock (ADD or BLOCK),
 * not a page lock (writers call it before they look their page up), not the resize lock. Its own
 * writeback only <em>tries</em> page locks ({@code PageWriteback.writebackRun} with no wait: a
 * page someone holds ends the run) and takes no pagecache lock, so it cannot deadlock with a
 * direct I/O holding BLOCK, and a throttled writer, while it writes or sleeps, holds no lock
 * another thread could be waiting for: nobody queues behind it, and a flush of its volume
 * (which does not wait for the backoff) may make the very retry it waits for. Allocators
 * ({@link DirectReclaim}) call {@link #writebackSome} under the same rule: they reserve memory
 * before they take ADD.
 *
 * <p>The volumes are the cache system's live list (copy-on-write): a volume opened or closed
 * during a pass is seen or missed, never half-seen. The turn across volumes is a plain field,
 * racy by design: a lost update only makes two threads start at the same volume.
 */
final class DirtyThrottle {
    private final MemoryBudget budget;
    private final List<PageCache> caches;
    private final long expireNanos;
    private final long memoryWaitNanos;
    private final LongSupplier nanoClock;
    private final ThrottledWriters throttled = new ThrottledWriters();
    private volatile Runnable backgroundKick = () -> { };
    private int roundRobin; // racy by design: only spreads writeback across volumes

    /**
     * @param caches      every volume's cache, read at each call (a live, thread-safe list)
     * @param expireNanos dirty pages older than this are written back by each background pass
     * @param memoryWaitNanos the longest a writer of a failing volume is throttled
     * @param nanoClock   the engine's clock (the tests' is driven by hand)
     */
    DirtyThrottle(MemoryBudget budget, List<PageCache> caches, long expireNanos, long memoryWaitNanos,
            LongSupplier nanoClock) {
        this.budget = budget;
        this.caches = caches;
        this.expireNanos = expireNanos;
        this.memoryWaitNanos = memoryWaitNanos;
        this.nanoClock = nanoClock;
    }

    /** Called when dirty memory passes the background ratio (wakes the background writer). */
    void onBackgroundThreshold(Runnable kick) {
        this.backgroundKick = kick;
    }

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
    void balanceDirty(PageCache writer, CallBudget call) {
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
            if (writebackSome(CacheSystem.RECLAIM_BATCH) > 0) {
                continue;
            }
            if (!writer.writebackFailing()) {
                return; // every dirty page is busy (someone is writing it) or another volume's
            }
            long now = nanoClock.getAsLong();
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
    boolean backgroundPass() {
        try {
            long cutoff = nanoClock.getAsLong() - expireNanos;
            for (PageCache c : caches) {
                c.dirtyPagesWriteback().writebackExpired(cutoff);
            }
            while (budget.overBackground()) {
                if (writebackSome(CacheSystem.RECLAIM_BATCH) == 0) {
                    return caches.stream().anyMatch(PageCache::writebackFailing);
                }
            }
            return false;
        } finally {
            throttled.wake(); // throttled writers re-read the clock: their retry may be due
        }
    }

    /** Writers throttled right now. */
    int throttledWriters() {
        return throttled.waiters();
    }
}
