package io.blockhaus.engine.cache;

import io.blockhaus.engine.call.CallBudget;
import io.blockhaus.engine.call.ReleaseWaits;
import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * One page-size block of a volume held in the cache, and the frame of page memory that holds it.
 *
 * <h2>A page is its frame, and outlives what it caches</h2>
 * A {@code Page} is made once per {@link PagePool.Frame}, the first time the frame is handed out,
 * and lives as long as the pool: when a page leaves the cache its object goes back to the pool
 * with its frame, and the next miss, of any volume of that page size, <em>re-keys</em> it
 * ({@link #rekey}) instead of making a new one. So a miss leaves no object behind. (It used to
 * make five, a page, its lock and the lock's sync, a map node and a boxed key, which lived
 * exactly one lap of the clock: with a large cache a lap is longer than the young generation
 * lasts, and the collector copied and promoted all of them; docs/benchmarks/ceiling-2026-12-06.md.)
 *
 * <h2>Identity: lock, then check the key</h2>
 * Because the object is reused, a reference to a page says nothing about what it holds: a thread
 * that found a page (in the {@link PageIndex}, in a list it made earlier) without holding its lock
 * may lock it after it was removed, freed and re-keyed to another index, of this volume or
 * another. So whoever looked a page up unlocked must, after taking the lock, check that it is
 * still the page it meant, {@link #isPageOf isPageOf(cache, index)}, and otherwise unlock and look
 * again (Linux's folio rule: lock the folio, then check its mapping and index). The check is
 * exact because of the invariants below, all kept under the page lock:
 * <ol>
 *   <li><b>Key and state change only under the lock.</b> {@code owner}, {@code index},
 *       {@code live} and every flag except {@code referenced} are written by a thread holding
 *       the lock, so a lock holder reads them stable and current (the lock's release/acquire
 *       orders them).</li>
 *   <li><b>live means indexed at (owner, index).</b> A page is set live only after it entered
 *       its owner's index at its index, and killed before it leaves it, both under its lock;
 *       re-keying happens only to a page that is not live. So a lock holder that sees
 *       {@code live} with the key it meant holds the page that is indexed at that key right now
 *       (nobody can remove it while the lock is held): the same as a fresh lookup that locked
 *       at once. That it may be a later incarnation than the one first found (the same key
 *       cached again, the ABA case) is harmless: the caller wanted whatever page is at the key.</li>
 *   <li><b>Unlocked means uptodate.</b> The allocator locks a page before it re-keys it and
 *       keeps it locked until it is indexed and filled (or removed again as dead), so no lock
 *       holder ever sees a live page that is not uptodate, nor a key half set.</li>
 *   <li><b>Free only after the last unlock.</b> A page removed from the cache ({@link
 *       #freeOnUnlock}) goes back to the pool, and its budget is released, only when its lock
 *       is released for the last time: a remover still holding it (a shootdown that goes on to
 *       tell mappers, reclaim between its checks) can never find it re-keyed under its hand,
 *       and the allocator that takes it from the pool takes the lock of a page nobody uses.
 *       Only a stale locker (rule above) may still take it while it is free, and it holds the
 *       lock only for the check, waiting for nothing, so the allocator waits for it at most
 *       that long (and a thread that must not wait, {@link CacheSystem#allocateWithoutWaiting},
 *       only tries).</li>
 * </ol>
 * A page found unlocked may also be <em>touched</em> ({@link #touch}) after it was re-keyed: the
 * referenced bit is a hint, so at worst another page gets a second lap it did not earn.
 *
 * <p>The page lock guards the page's bytes and every flag below except {@code referenced}.
 * Whoever touches the bytes must hold the lock and must have checked the page's key as above. A
 * page is inserted into the index already locked and is unlocked only once uptodate, so a live
 * page seen unlocked is always uptodate.
 *
 * <p>The page <em>is</em> its lock ({@link PageLock}, a ReentrantLock's rules in the page's own
 * fields), so reclaim's visit to a page it has not touched for a lap reads one object, not the
 * page, a lock and the lock's sync. Lock it only through the methods below: {@link #unlock} is
 * where the last release frees a removed page, which AQS's inherited {@code release} would skip.
 *
 * <p>Lock order: page locks are taken in ascending index order when several are held, and no
 * thread waits for the volume's pagecache lock while holding a page lock. A page locked by its
 * allocator before it is indexed is invisible except to stale lockers, which never wait for
 * anything while they hold it, so it adds no edge to that order.
 */
public final class Page extends PageLock {
    private final CacheSystem system;
    private final PagePool.Frame frame;
    private final MemorySegment memory;
    private final ByteBuffer buffer;

    // guarded by the page lock (see "Identity"): the key, set by rekey; never null after the first one
    private PageCache owner;
    private long index;
    private boolean live;
    /** Removed: the last unlock gives the page back to the pool (see "Free only after the last unlock"). */
    private boolean freeOnUnlock;
    private boolean uptodate;
    private boolean dirty;
    private boolean writeback;
    private boolean noReuse;
    /** Read ahead and not yet read: counted as used by the first read, wasted if it leaves unread. */
    private boolean readAhead;
    private List<PageMapper> mappers;

    // racy by design: a hint for reclaim, set on every access without the lock. A new page
    // starts unreferenced: a second access earns it a second lap (see PageClock).
    private volatile boolean referenced;

    // guarded by the PageClock's mutex: this page's slot in the ring, -1 when not in it,
    // PageClock.PENDING while queued for one (set under this page's lock; remove() reads it so)
    int clockSlot = -1;

    /** The page of {@code frame}, made the first time the frame is handed out (see {@link PagePool.Frame#page}). */
    Page(CacheSystem system, PagePool.Frame frame) {
        this.system = system;
        this.frame = frame;
        this.memory = frame.memory();
        this.buffer = frame.buffer();
    }

    /**
     * Gives this page, fresh from the pool and locked by the caller, the key {@code (owner,
     * index)} and a new page's state: not live (it becomes live when indexed, {@link
     * #indexed}), not uptodate, clean, unmapped, unreferenced, not in the clock.
     */
    void rekey(PageCache owner, long index) {
        assert heldByMe() && !live && !freeOnUnlock && clockSlot == -1;
        this.owner = owner;
        this.index = index;
        uptodate = false;
        dirty = false;
        writeback = false;
        noReuse = false;
        readAhead = false;
        mappers = null;
        referenced = false;
    }

    /** The page just entered its owner's index at its index (lock held): it is live. */
    void indexed() {
        live = true;
    }

    /**
     * Whether this is the live page of {@code cache} at {@code index}: the check every thread
     * that found the page without its lock makes after taking it (see "Identity"). Lock held.
     */
    public boolean isPageOf(PageCache cache, long index) {
        return live && this.index == index && owner == cache;
    }

    /**
     * The page left the cache (it is dead, unindexed, out of the clock; lock held): the last
     * unlock gives it back to the pool with its budget. Idempotent.
     */
    void freeOnUnlock() {
        assert heldByMe() && !live;
        freeOnUnlock = true;
    }

    PagePool.Frame frame() {
        return frame;
    }

    PageCache owner() {
        return owner;
    }

    public long index() {
        return index;
    }

    /** The page's bytes; valid only while the lock is held and the page is live. */
    public MemorySegment memory() {
        return memory;
    }

    /**
     * The page's bytes as a buffer for absolute get/put only (never move its position: it is
     * shared). Valid only while the lock is held and the page is live.
     */
    public ByteBuffer buffer() {
        return buffer;
    }

    /** A fresh buffer view of the bytes (position 0, limit page size), for store I/O under the lock. */
    ByteBuffer bufferView() {
        return buffer.duplicate().clear();
    }

    /**
     * Takes the page lock, waiting at most the engine's {@link CacheSystem#pageLockWaitNanos()}
     * (its memory wait: both are the cache making a client wait). A holder that keeps it longer
     * is stuck (a store I/O that does not return), and the caller, a client's operation, gets
     * {@code ETIMEDOUT} rather than joining it forever. Uninterruptible, like the unbounded lock
     * it replaces: an interrupt is kept for the caller and does not cut the wait short.
     *
     * @throws ErrnoException ETIMEDOUT; nothing is held then
     */
    public void lock() {
        lock(CallBudget.NONE);
    }

    /**
     * {@link #lock()}, its wait also ended by {@code call}: at its deadline ({@code ETIMEDOUT})
     * or at once when it is cancelled ({@code EINTR}); nothing is held then. A budgeted wait
     * sleeps in the cache's {@link ReleaseWaits}, which every last unlock signals, because the
     * lock's own queue sleeps through a cancellation's unpark (see {@link ReleaseWaits}).
     */
    public void lock(CallBudget call) {
        if (tryLockOnce()) {
            return; // uncontended: the cost of lock(), and no clock read
        }
        long wait = system.pageLockWaitNanos();
        if (call != CallBudget.NONE) {
            if (system.pageLockWaits().await(this::tryLockOnce, wait, call, "page " + index + " of " + owner)) {
                return;
            }
            throw stayedLocked(wait);
        }
        long start = System.nanoTime();
        boolean interrupted = false;
        try {
            for (long left = wait; left > 0; left = wait - (System.nanoTime() - start)) {
                try {
                    if (tryLockNanos(left)) {
                        return;
                    }
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        throw stayedLocked(wait);
    }

    private ErrnoException stayedLocked(long wait) {
        return new ErrnoException(Errno.ETIMEDOUT, "page " + index + " of " + owner
                + " stayed locked for " + wait / 1_000_000 + " ms (a store I/O under it is stuck?)");
    }

    public boolean tryLock() {
        return tryLockOnce();
    }

    /**
     * Unlocks; if this was the last hold and reclaim could now evict the page, tells a memory
     * waiter (one volatile read when nobody waits). Every flag reclaim looks at changes under
     * this lock, so this is where a pinned page becomes evictable (see {@link MemoryWaits}).
     */
    public void unlock() {
        boolean last = holdCount() == 1;
        boolean evictable = last && live && uptodate && !dirty && !writeback && mapCount() == 0;
        boolean free = last && freeOnUnlock;
        if (free) {
            freeOnUnlock = false; // a stale locker's later unlock must not free it twice
        }
        unlockOnce(); // IllegalMonitorStateException, nothing changed, from a thread without the lock
        if (last) {
            system.pageLockWaits().signal(); // one volatile read unless a budgeted call waits
        }
        if (evictable) {
            system.pageEvictable();
        }
        if (free) {
            system.recycle(this); // after the unlock: see "Free only after the last unlock"
        }
    }

    /** True when the current thread held the lock already before its latest tryLock. */
    boolean reentered() {
        return holdCount() > 1;
    }

    /**
     * Locks the page and checks that it is still the live page of {@code cache} at {@code
     * index} (see "Identity"); false, unlocked, if it is not (removed, or re-keyed since the
     * caller found it). Bounded as {@link #lock(CallBudget)} is.
     */
    boolean lockIfPageOf(PageCache cache, long index, CallBudget call) {
        lock(call); // bounded: ETIMEDOUT or the call's end, see lock(CallBudget)
        if (!isPageOf(cache, index)) {
            unlock(); // and signal: a budgeted waiter for this page must look again, and find it gone
            return false;
        }
        return true;
    }

    /** {@link #tryLock} and {@link #isPageOf} together: false (unlocked) when busy or not that page. */
    boolean tryLockIfPageOf(PageCache cache, long index) {
        if (!tryLockOnce()) {
            return false;
        }
        if (!isPageOf(cache, index)) {
            unlock();
            return false;
        }
        return true;
    }

    public boolean isLive() {
        return live;
    }

    void kill() {
        live = false;
    }

    public boolean isUptodate() {
        return uptodate;
    }

    void setUptodate() {
        uptodate = true;
    }

    public boolean isDirty() {
        return dirty;
    }

    void setDirty(boolean d) {
        dirty = d;
    }

    boolean isWriteback() {
        return writeback;
    }

    void setWriteback(boolean w) {
        writeback = w;
    }

    boolean isNoReuse() {
        return noReuse;
    }

    public void setNoReuse(boolean n) {
        noReuse = n;
    }

    /** Marks a page just inserted by readahead (lock held). */
    public void setReadAhead() {
        readAhead = true;
    }

    /** Whether the page was read ahead and not read since; clears it (lock held). One field read when not. */
    public boolean takeReadAhead() {
        if (!readAhead) {
            return false;
        }
        readAhead = false;
        return true;
    }

    public void touch() {
        if (!referenced) {
            referenced = true;
        }
    }

    boolean isReferenced() {
        return referenced;
    }

    /** Clears and returns the referenced bit (the clock hand's second chance). */
    boolean testAndClearReferenced() {
        boolean r = referenced;
        if (r) {
            referenced = false;
        }
        return r;
    }

    public int mapCount() {
        return mappers == null ? 0 : mappers.size();
    }

    /** Records {@code m} as mapping this page; false if it already did. Lock held. */
    public boolean addMapper(PageMapper m) {
        if (mappers == null) {
            mappers = new ArrayList<>(2);
        }
        for (PageMapper x : mappers) {
            if (x == m) {
                return false;
            }
        }
        mappers.add(m);
        if (mappers.size() == 1) {
            owner.mappedPages(1);
        }
        return true;
    }

    /** Lock held. */
    public void removeMapper(PageMapper m) {
        if (mappers != null && mappers.remove(m) && mappers.isEmpty()) {
            owner.mappedPages(-1);
        }
    }

    /**
     * The page's bytes were just changed in place by someone other than {@code writer} (null:
     * not through a mapping): every other mapper is told, as for a shootdown, and forgotten, so
     * its owner drops its copy and faults again (over a network a mapping holds a copy, not the
     * page). The page stays cached. Lock held; on the fast path (no mapper) one field read.
     */
    public void changedInPlace(PageMapper writer) {
        if (mappers == null) {
            return;
        }
        List<PageMapper> others = mappers;
        mappers = null;
        if (!others.isEmpty()) {
            owner.mappedPages(-1); // addMapper below counts the writer's mapping back in
        }
        for (PageMapper m : others) {
            if (m == writer) {
                addMapper(m);
            } else {
                m.pageRemoved(index);
            }
        }
    }

    /** Tells every mapper the page is gone and forgets them. Lock held. */
    void unmapAll() {
        if (mappers != null) {
            if (!mappers.isEmpty()) {
                owner.mappedPages(-1);
            }
            for (PageMapper m : mappers) {
                m.pageRemoved(index);
            }
            mappers = null;
        }
    }
}
