package io.blockhaus.engine;

import io.blockhaus.engine.call.CallBudget;
import io.blockhaus.engine.call.ReleaseWaits;
import io.blockhaus.engine.cache.PageCache;
import io.blockhaus.engine.cache.WritebackErrors;
import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import io.blockhaus.engine.events.CacheListener;
import io.blockhaus.engine.events.VolumeListeners;
import io.blockhaus.engine.lock.LockMode;
import io.blockhaus.engine.lock.PagecacheLock;
import io.blockhaus.engine.store.BackingStore;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * One exported block device: its page cache, its pagecache lock and its backing store.
 * Every operation goes through a {@link Handle}; the volume itself describes, validates and
 * closes.
 *
 * <p>Besides the pagecache lock (which only orders adding pages against shooting them down), a
 * volume has a <em>resize lock</em>: truncate, collapse and insert change where bytes live, so
 * they exclude the other BLOCK holders (direct I/O, punch, zero), which share BLOCK with each
 * other. It plays the part of i_rwsem taken exclusively by those fallocate modes in Linux. It is
 * always taken before the pagecache lock, never while holding a page lock.
 */
public final class Volume implements AutoCloseable {
    /** The largest size a volume may grow to (leaves headroom for offset arithmetic). */
    public static final long MAX_SIZE = 1L << 60;

    private final Engine engine;
    private final VolumeConfig config;
    private final BackingStore store;
    private final PagecacheLock lock;
    private final PageCache cache;
    private final long lockTimeoutNanos;
    private final ReentrantReadWriteLock resizeLock = new ReentrantReadWriteLock();
    private final ReleaseWaits resizeWaits = new ReleaseWaits();
    private final Set<Mapping> mappings = ConcurrentHashMap.newKeySet();
    private final AtomicInteger openHandles = new AtomicInteger();
    private volatile long size;
    private volatile boolean closed;

    Volume(Engine engine, VolumeConfig config, BackingStore store, PagecacheLock lock, VolumeListeners listeners) {
        this.engine = engine;
        this.config = config;
        this.store = store;
        this.lock = lock;
        this.size = store.size();
        this.lockTimeoutNanos = config.lockTimeout().toNanos();
        this.cache = engine.cacheSystem().newCache(config.name(), store, config.pageSize(), this::size,
                listeners.cache(), listeners.readahead(), listeners.writeback());
    }

    public String name() {
        return config.name();
    }

    /** Current size in bytes (changes with truncate, collapse and insert). */
    public long size() {
        return size;
    }

    /**
     * Whether writes can come in through a pipe ({@link FastPaths#writeFromPipe}) without being
     * copied through the JVM: a writable volume on a store that splices. Front ends ask once.
     */
    public boolean writesFromPipes() {
        return !config.readOnly() && store.writesFromPipes();
    }

    public int pageSize() {
        return config.pageSize();
    }

    public boolean readOnly() {
        return config.readOnly();
    }

    public VolumeConfig config() {
        return config;
    }

    /** The volume's pagecache lock (for metrics gauges and tests). */
    public PagecacheLock lock() {
        return lock;
    }

    /** Opens a handle: one client's view, with its own readahead state and fadvise mode. */
    public Handle open() {
        checkOpen();
        openHandles.incrementAndGet();
        return new Handle(this);
    }

    /** Handles open on this volume now, from every front end (an admin refuses to delete it while any is). */
    public int openHandles() {
        return openHandles.get();
    }

    void handleClosed() {
        openHandles.decrementAndGet();
    }

    /** Pages of this volume in the cache now. */
    public long cachedPages() {
        return cache.cachedPages();
    }

    /** Dirty pages of this volume now. */
    public long dirtyPages() {
        return cache.dirtyPages();
    }

    /** Pages of this volume being written back now (they are still counted dirty). */
    public long writebackPages() {
        return cache.pagesUnderWriteback();
    }

    /** Pages of this volume some mapping maps now. */
    public long mappedPages() {
        return cache.mappedPages();
    }

    /** Where this volume's cache events go (the operations report to it). */
    CacheListener events() {
        return cache.events();
    }

    public boolean isClosed() {
        return closed;
    }

    // ------------------------------------------------------------------ internals for the operations

    Engine engine() {
        return engine;
    }

    PageCache cache() {
        return cache;
    }

    BackingStore store() {
        return store;
    }

    void setSize(long newSize) {
        size = newSize;
    }

    /** Number of pages that hold any byte of the volume. */
    long pageCount() {
        return cache.indexOf(size + pageSize() - 1);
    }

    long firstPage(long offset) {
        return cache.indexOf(offset);
    }

    /** One past the last page touched by {@code [offset, offset+length)}; length must be positive. */
    long endPage(long offset, long length) {
        return cache.indexOf(offset + length - 1) + 1;
    }

    void checkOpen() {
        if (closed) {
            throw new ErrnoException(Errno.ESHUTDOWN, "volume " + name() + " is closed");
        }
    }

    void checkWritable() {
        if (config.readOnly()) {
            throw new ErrnoException(Errno.EROFS, "volume " + name() + " is read-only");
        }
    }

    /**
     * Validates a byte range against the current size: negative or overflowing input is EINVAL;
     * past the end is ENOSPC for anything that writes and EINVAL otherwise.
     */
    void checkRange(long offset, long length, boolean writes) {
        if (offset < 0 || length < 0 || offset + length < 0) {
            throw new ErrnoException(Errno.EINVAL, "bad range offset=" + offset + " length=" + length);
        }
        long s = size;
        if (offset + length > s) {
            throw new ErrnoException(writes ? Errno.ENOSPC : Errno.EINVAL,
                    "range " + offset + "+" + length + " is past the end of " + name() + " (" + s + " bytes)");
        }
    }

    /** ADD on the range, waited for within the lock timeout or {@code call}'s deadline if sooner. */
    PagecacheLock.Hold add(long firstPage, long endPage, CallBudget call) {
        return acquire(LockMode.ADD, firstPage, endPage, call);
    }

    /** ADD if it is free for the taking right now; null otherwise (or when closed). Never waits. */
    PagecacheLock.Hold tryAdd(long firstPage, long endPage) {
        PagecacheLock.Hold h = lock.tryAcquire(LockMode.ADD, firstPage, endPage);
        if (h != null && closed) {
            h.close();
            return null;
        }
        return h;
    }

    /** BLOCK if it is free for the taking right now (no ADD holder or waiter); null otherwise. Never waits. */
    PagecacheLock.Hold tryBlock(long firstPage, long endPage) {
        PagecacheLock.Hold h = lock.tryAcquire(LockMode.BLOCK, firstPage, endPage);
        if (h != null && closed) {
            h.close();
            throw new ErrnoException(Errno.ESHUTDOWN, "volume " + name() + " is closed");
        }
        return h;
    }

    /** BLOCK on the range, waited for as {@link #add} does. */
    PagecacheLock.Hold block(long firstPage, long endPage, CallBudget call) {
        return acquire(LockMode.BLOCK, firstPage, endPage, call);
    }

    private PagecacheLock.Hold acquire(LockMode mode, long firstPage, long endPage, CallBudget call) {
        PagecacheLock.Hold h = lock.acquire(mode, firstPage, endPage, lockTimeoutNanos, call);
        if (closed) {
            h.close();
            throw new ErrnoException(Errno.ESHUTDOWN, "volume " + name() + " is closed");
        }
        return h;
    }

    /** Shared resize lock for BLOCK holders that do not move bytes; exclusive for those that do. */
    /** A held resize lock; releasing it cannot fail. */
    interface ResizeHold extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * The resize lock shared, waited for within the lock timeout or {@code call}'s deadline if
     * sooner, and given up at once when {@code call} is cancelled: a budgeted caller waits in
     * {@link #resizeWaits}, which every release signals, because the lock's own queue (a
     * {@link ReentrantReadWriteLock}'s) sleeps through the unpark of a cancellation and only an
     * interrupt ends its waits early (and the engine never interrupts: a FileChannel closes when
     * its thread is interrupted). Only truncate, collapse and insert hold it exclusively, for one
     * store operation each.
     */
    ResizeHold resizeShared(CallBudget call) {
        return takeResize(resizeLock.readLock(), call);
    }

    /** The resize lock exclusive, waited for as {@link #resizeShared} does. */
    ResizeHold resizeExclusive(CallBudget call) {
        return takeResize(resizeLock.writeLock(), call);
    }

    /** Resize-lock waiters with a call's budget (see {@link #resizeShared}); for tests too. */
    int resizeWaiters() {
        return resizeWaits.waiters();
    }

    private ResizeHold takeResize(java.util.concurrent.locks.Lock l, CallBudget call) {
        try {
            // A timed tryLock even for 0 ns: the untimed one barges past a waiting truncate.
            if (!l.tryLock(0, TimeUnit.NANOSECONDS) && !(call == CallBudget.NONE
                    ? l.tryLock(lockTimeoutNanos, TimeUnit.NANOSECONDS)
                    : resizeWaits.await(() -> tryNow(l), lockTimeoutNanos, call, "a resize of " + name()))) {
                throw new ErrnoException(Errno.ETIMEDOUT, "timed out waiting for a resize of " + name());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ErrnoException(Errno.EINTR, "interrupted waiting for a resize of " + name());
        }
        return () -> {
            l.unlock();
            resizeWaits.signal();
        };
    }

    private static boolean tryNow(java.util.concurrent.locks.Lock l) {
        try {
            return l.tryLock(0, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false; // ReleaseWaits sees the interrupt and answers EINTR
        }
    }

    /**
     * fsync's contract, Linux's way: writes back every dirty page of {@code [firstPage, endPage)},
     * forces the store, and then reports, once per cursor, a writeback failure of this volume
     * that {@code cursor} has not reported yet (see {@link WritebackErrors}), even if this call's
     * own writeback succeeded. This call's own failure wins; the cursor moves past the failures
     * either way, so a handle hears of each once.
     */
    void sync(long firstPage, long endPage, WritebackErrors.Cursor cursor) {
        ErrnoException own = null;
        try {
            cache.writebackRange(firstPage, endPage);
            store.force();
        } catch (ErrnoException e) {
            own = e;
        }
        ErrnoException earlier = cursor.checkAndAdvance();
        if (own != null) {
            throw own;
        }
        if (earlier != null) {
            throw earlier;
        }
    }

    void registerMapping(Mapping m) {
        mappings.add(m);
    }

    void unregisterMapping(Mapping m) {
        mappings.remove(m);
    }

    /**
     * Writes back every dirty page, forces the store, drops every page and closes the store.
     * Handles and mappings fail with ESHUTDOWN afterwards. Waits for operations in progress, but
     * not forever: the resize lock and BLOCK on the whole volume are each waited for within the
     * volume's lock timeout (the same deadline for both); past it, {@code ETIMEDOUT}, and the
     * volume stays open and usable, so the caller may try again (an operation that never ends,
     * a stuck disk, cannot make close hang). Interruption is {@code EINTR}, likewise harmless.
     * Idempotent once it succeeded. A writeback failure is thrown after the volume is closed:
     * those unflushed bytes are lost and the caller must say so.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            long start = System.nanoTime();
            try (ResizeHold r = takeResize(resizeLock.writeLock(), CallBudget.NONE);
                 PagecacheLock.Hold h = lock.acquire(LockMode.BLOCK, 0, Long.MAX_VALUE,
                         Math.max(0, lockTimeoutNanos - (System.nanoTime() - start)))) {
                closed = true;
                try {
                    for (Mapping m : mappings) {
                        m.close();
                    }
                    // Page by page under the page lock: a buffered write that slipped in after
                    // the check at its start is written back, not dropped.
                    cache.invalidate(0, Long.MAX_VALUE, true);
                    store.force();
                } finally {
                    try {
                        cache.dropAll();
                    } finally {
                        store.close();
                        engine.forget(this);
                        cache.events().closed();
                    }
                }
            }
        }
    }

    @Override
    public String toString() {
        return "Volume[" + name() + ", " + size + " bytes]";
    }
}
