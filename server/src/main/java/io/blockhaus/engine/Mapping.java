package io.blockhaus.engine;

import io.blockhaus.engine.call.CallBudget;
import io.blockhaus.engine.cache.Page;
import io.blockhaus.engine.cache.PageCache;
import io.blockhaus.engine.cache.PageMapper;
import io.blockhaus.engine.cache.PageReservation;
import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import io.blockhaus.engine.lock.PagecacheLock;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A client's mmap of a volume range. Loads and stores through it fault pages in (with a
 * fault-around window, under ADD on a miss) and record them as mapped; mapped pages are never
 * evicted or dropped by DONTNEED. Shooting a mapped page down unmaps it and tells the listener.
 * Offsets are relative to the start of the mapping.
 *
 * <p>A fault that misses reads in every absent page of the aligned fault-around window in one
 * backing read and maps the faulting page; the window is exactly what the range policy's
 * EDEADLOCK check widens a direct-I/O buffer to.
 *
 * <p>Mapped pages are pinned, so they count against their handle's quota
 * ({@link EngineConfig#mappedShare}): an access first reserves one page of quota for each page
 * it touches that this mapping does not map yet, and fails with ENOMEM, having mapped nothing,
 * when that passes the quota. Each page that leaves {@link #mapped} (shot down, or munmap) gives
 * its page back. (A page shot down between the reservation and its fault is reserved again
 * when it is faulted; only that race can fail an access half-way.)
 */
public final class Mapping implements AutoCloseable, PageMapper {
    private final Handle handle;
    private final Volume volume;
    private final long offset;
    private final long length;
    private final boolean writable;
    private final InvalidationListener listener;
    private final Set<Long> mapped = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    Mapping(Handle handle, long offset, long length, boolean writable, InvalidationListener listener) {
        this.handle = handle;
        this.volume = handle.volume();
        this.offset = offset;
        this.length = length;
        this.writable = writable;
        this.listener = listener;
    }

    public Volume volume() {
        return volume;
    }

    /** Whether the mapping was closed (unmapped, its handle closed, or revoked by its front end). */
    public boolean isClosed() {
        return closed;
    }

    /** Volume byte offset where the mapping starts (page-aligned). */
    public long offset() {
        return offset;
    }

    public long length() {
        return length;
    }

    public boolean writable() {
        return writable;
    }

    /** Pages currently mapped (faulted in and not since invalidated). */
    public long mappedPages() {
        return mapped.size();
    }

    void checkUsable() {
        volume.checkOpen();
        if (closed) {
            throw new ErrnoException(Errno.EFAULT, "mapping " + this + " was unmapped");
        }
    }

    /** Read faults as needed and copies the bytes out (a CPU load from the mapping). */
    public void read(long off, ByteBuffer dst) {
        read(off, dst, CallBudget.current());
    }

    /** {@link #read(long, ByteBuffer)} with its faults' waits bounded by {@code call} (a load changes nothing). */
    void read(long off, ByteBuffer dst, CallBudget call) {
        access(off, dst, false, call);
    }

    /** Write faults as needed, stores the bytes and dirties the pages (a CPU store). EPERM if read-only. */
    public void write(long off, ByteBuffer src) {
        write(off, src, CallBudget.current());
    }

    /**
     * {@link #write(long, ByteBuffer)} with the waits of its faults bounded by {@code call} until
     * its first store, and by the engine's own bounds after it (see CallBudget, "Changing nothing").
     */
    void write(long off, ByteBuffer src, CallBudget call) {
        if (!writable) {
            throw new ErrnoException(Errno.EPERM, "store through a read-only mapping");
        }
        volume.checkWritable();
        try (Recalls.Scope recall = volume.engine().recalls().open()) {
            access(off, src, true, call);
        }
    }

    private void access(long off, ByteBuffer buf, boolean store, CallBudget call) {
        checkUsable();
        int len = buf.remaining();
        if (off < 0 || off + len > length || off + len < 0) {
            throw new ErrnoException(Errno.EFAULT, "access " + off + "+" + len + " outside the mapping of " + length + " bytes");
        }
        PageCache c = volume.cache();
        long pos = offset + off;
        long end = pos + len;
        if (len == 0) {
            return;
        }
        long firstIdx = c.indexOf(pos);
        long endIdx = c.indexOf(end - 1) + 1;
        Reservation r = new Reservation();
        for (long i = firstIdx; i < endIdx; i++) {
            if (!mapped.contains(i)) {
                r.left++;
            }
        }
        handle.reservePins(r.left, this);
        try {
            copy(pos, end, buf, store, r, call);
        } finally {
            handle.releasePins(r.left); // pages a concurrent access of this mapping mapped first
        }
    }

    /** Quota reserved by one access and not yet used by a page it mapped. */
    private static final class Reservation {
        long left;
    }

    private void copy(long pos, long end, ByteBuffer buf, boolean store, Reservation r, CallBudget call) {
        PageCache c = volume.cache();
        while (pos < end) {
            if (store) {
                c.system().balanceDirty(c, call);
            }
            long idx = c.indexOf(pos);
            int inPage = (int) (pos - c.offsetOf(idx));
            int n = (int) Math.min(c.pageSize() - inPage, end - pos);
            if (r.left == 0 && !mapped.contains(idx)) {
                handle.reservePins(1, this); // shot down since the reservation (see class comment)
                r.left = 1;
            }
            Page p = fault(idx, r, call);
            try {
                if (pos + n > volume.size()) {
                    throw beyondEnd(pos, n);
                }
                if (store) {
                    p.buffer().put(inPage, buf, buf.position(), n);
                    p.changedInPlace(this); // other mappings' copies are stale now
                    c.markDirty(p);
                    call = CallBudget.NONE; // stored: the rest of the store completes
                } else {
                    buf.put(buf.position(), p.buffer(), inPage, n);
                }
                buf.position(buf.position() + n);
            } finally {
                p.unlock();
            }
            pos += n;
        }
    }

    /** The live page at {@code idx}, locked and mapped here, its pin taken from {@code r}; faulted in on a miss. */
    private Page fault(long idx, Reservation r, CallBudget call) {
        PageCache c = volume.cache();
        while (true) {
            Page p = c.lookupLocked(idx, call);
            if (p != null) {
                // Checked and recorded under the monitor so close() either sees this page in
                // `mapped` or this fault sees `closed`: no page can keep a dead mapper.
                synchronized (this) {
                    if (closed) {
                        p.unlock();
                        throw new ErrnoException(Errno.EFAULT, "mapping " + this + " was unmapped");
                    }
                    if (p.addMapper(this) && mapped.add(idx)) {
                        r.left--;
                    }
                }
                return p;
            }
            faultAround(idx, call);
        }
    }

    private void faultAround(long idx, CallBudget call) {
        PageCache c = volume.cache();
        long fa = volume.config().faultAroundPages();
        long first = Math.floorDiv(idx, fa) * fa;
        long end = Math.min(first + fa, volume.pageCount());
        if (idx >= end) {
            throw beyondEnd(c.offsetOf(idx), c.pageSize());
        }
        // The faulting page's memory is reserved before ADD: nothing waits for memory holding it.
        try (PageReservation mem = c.reserve(idx, idx + 1, true, call);
                PagecacheLock.Hold hold = volume.add(first, end, call)) {
            end = Math.min(end, volume.pageCount());
            long i = first;
            while (i < end) {
                if (c.get(i) != null) {
                    i++;
                    continue;
                }
                List<Page> run = c.insertAbsent(i, end, i == idx || (i < idx && idx < end) ? mem : null);
                if (run.isEmpty()) {
                    if (c.get(i) == null && i >= idx) {
                        return; // out of reclaimable memory past the faulting page: enough
                    }
                    i++;
                    continue;
                }
                try {
                    c.fill(run);
                } finally {
                    PageCache.unlockAll(run);
                }
                i += run.size();
            }
        }
    }

    private ErrnoException beyondEnd(long pos, int n) {
        return new ErrnoException(Errno.EFAULT, "access " + pos + "+" + n + " past the end of volume "
                + volume.name() + " (" + volume.size() + " bytes): the mapping's range was truncated away");
    }

    /**
     * Called by the cache, page lock held, when a page this mapping mapped is shot down or
     * changed in place by someone else: the page leaves this mapping (the next access faults it
     * in again), and the operation that caused it completes the owner's recall before it returns.
     */
    @Override
    public void pageRemoved(long index) {
        if (mapped.remove(index)) {
            handle.releasePins(1);
            volume.engine().recalls().noted(this, listener.invalidated(this, index, index + 1));
        }
    }

    /** munmap: drops the map counts. Idempotent. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        PageCache c = volume.cache();
        for (Long idx : List.copyOf(mapped)) {
            try {
                Page p = c.lockedAt(idx);
                if (p != null) {
                    try {
                        p.removeMapper(this);
                    } finally {
                        p.unlock();
                    }
                }
            } catch (ErrnoException stuck) {
                // Its page lock timed out (a stuck store I/O holds it): the page keeps a dead
                // mapper, which only costs it its evictability until it is shot down or dropped.
            }
            if (mapped.remove(idx)) {
                handle.releasePins(1);
            }
        }
        volume.unregisterMapping(this);
        handle.forget(this);
    }

    @Override
    public String toString() {
        return "Mapping[" + volume.name() + " " + offset + "+" + length + (writable ? " rw" : " ro") + "]";
    }
}
