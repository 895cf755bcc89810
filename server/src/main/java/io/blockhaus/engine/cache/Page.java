package io.blockhaus.engine.cache;

import io.blockhaus.engine.call.CallBudget;
import io.blockhaus.engine.call.ReleaseWaits;
import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One page-size block of a volume held in the cache.
 *
 * <p>The page lock guards the page's bytes and every flag below except {@code referenced}.
 * Whoever touches the bytes must hold the lock and must first check {@link #isLive()}: a page is
 * removed from the index (shot down, evicted, truncated away) under its lock and marked dead, and
 * its memory goes back to the pool, so a thread that found the page before removal and locked it
 * after must retry the lookup. A page is inserted into the index already locked and is unlocked
 * only once uptodate, so a live page seen unlocked is always uptodate.
 *
 * <p>Lock order: page locks are taken in ascending index order when several are held, and no
 * thread waits for the volume's pagecache lock while holding a page lock.
 */
public final class Page {
    private final PageCache owner;
    private final long index;
    private final PagePool.Frame frame;
    private final MemorySegment memory;
    private final ByteBuffer buffer;
    private final ReentrantLock lock = new ReentrantLock();

    // guarded by lock
    private boolean live = true;
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

    Page(PageCache owner, long index, PagePool.Frame frame) {
        this.owner = owner;
        this.index = index;
        this.frame = frame;
        this.memory = frame.memory();
        this.buffer = frame.buffer();
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
        if (lock.tryLock()) {
            return; // uncontended: the cost of lock(), and no clock read
        }
        long wait = owner.system().pageLockWaitNanos();
        if (call != CallBudget.NONE) {
            if (owner.system().pageLockWaits().await(lock::tryLock, wait, call, "page " + index + " of " + owner)) {
                return;
            }
            throw stayedLocked(wait);
        }
        long start = System.nanoTime();
        boolean interrupted = false;
        try {
            for (long left = wait; left > 0; left = wait - (System.nanoTime() - start)) {
                try {
                    if (lock.tryLock(left, TimeUnit.NANOSECONDS)) {
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
        return lock.tryLock();
    }

    /**
     * Unlocks; if this was the last hold and reclaim could now evict the page, tells a memory
     * waiter (one volatile read when nobody waits). Every flag reclaim looks at changes under
     * this lock, so this is where a pinned page becomes evictable (see {@link MemoryWaits}).
     */
    public void unlock() {
        boolean last = lock.getHoldCount() == 1;
        boolean evictable = last && live && uptodate && !dirty && !writeback && mapCount() == 0;
        lock.unlock();
        if (last) {
            owner.system().pageLockWaits().signal(); // one volatile read unless a budgeted call waits
        }
        if (evictable) {
            owner.system().pageEvictable();
        }
    }

    boolean isLockedByMe() {
        return lock.isHeldByCurrentThread();
    }

    /** True when the current thread held the lock already before its latest tryLock. */
    boolean reentered() {
        return lock.getHoldCount() > 1;
    }

    /**
     * Locks the page if it is still in the cache; false (unlocked) if it was removed meanwhile.
     * Bounded as {@link #lock()} is.
     */
    public boolean lockIfLive() {
        return lockIfLive(CallBudget.NONE);
    }

    /** {@link #lockIfLive()}, its wait also ended by {@code call} as {@link #lock(CallBudget)}'s is. */
    public boolean lockIfLive(CallBudget call) {
        lock(call); // bounded: ETIMEDOUT or the call's end, see lock(CallBudget)
        if (!live) {
            unlock(); // and signal: a budgeted waiter for this page must look again, and find it dead
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
