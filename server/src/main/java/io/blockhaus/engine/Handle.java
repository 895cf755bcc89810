package io.blockhaus.engine;

import io.blockhaus.engine.cache.WritebackErrors;
import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One client's open volume (an NBD connection, a gRPC Open). Every I/O operation of DESIGN.md's
 * table is here, implemented once: the API both front ends share. Each delegates to the class
 * that owns that path ({@link BufferedIo}, {@link DirectIo}, {@link SpaceOps}, {@link Fadvise},
 * {@link BlockStatus}, {@link Mapping}). The shortcuts only some front ends may take (no
 * waiting, no copying) are apart, behind {@link #fastPaths()}. A handle is safe for concurrent
 * use: a connection has many requests in flight.
 *
 * <p>Waits follow the calling front end's {@link io.blockhaus.engine.call.CallBudget}, if it
 * bound one: each lock or memory wait before an operation's first change ends at the call's
 * deadline (ETIMEDOUT) or as soon as the call is cancelled (EINTR), having changed nothing.
 *
 * <p>Errors ({@link io.blockhaus.engine.errno.ErrnoException}), common to all operations:
 * negative offsets or lengths, or a range that overflows: EINVAL; a read past the end: EINVAL;
 * a write, zeroing or punch past the end: ENOSPC; any change on a read-only volume: EROFS; a
 * closed handle or volume: ESHUTDOWN; lock wait past the volume's timeout, or a page lock held
 * by another past the engine's memory wait: ETIMEDOUT; a wait for a lock this same operation
 * holds: EDEADLOCK; no memory within the engine's wait, or a mapping access past the handle's
 * quota of mapped pages: ENOMEM; backing store failure: EIO or ENOSPC. A failed operation that
 * was refused for its input changes nothing.
 *
 * <p>Recall before completion: an operation that changes bytes some mapping holds (a write of
 * either mode, fallocate, truncate, a store through another mapping) returns only after each
 * such mapping's owner completed its {@link Recall} (acknowledged, or revoked after the owner's
 * timeout), whichever front end the operation came from; see {@link Recalls}. The one exception
 * is {@link FastPaths#writeIfCached}, which never waits: it refuses mapped pages.
 *
 * <p>Buffers: reads fill {@code dst} from position to limit and advance its position; writes
 * consume {@code src} from position to limit and advance its position.
 */
public final class Handle implements AutoCloseable {
    private final Volume volume;
    private final ReadaheadState readahead;
    private final Set<Mapping> mappings = ConcurrentHashMap.newKeySet();
    private final WritebackErrors.Cursor writebackErrors; // errseq_t's f_wb_err: see Volume#sync
    /** Pages this handle's mappings may pin at once ({@link EngineConfig#mappedShare}). */
    private final long pinQuota;
    /** Pages its mappings pin now (plus, for a moment, what a fault in progress reserved). */
    private final AtomicLong pinned = new AtomicLong();
    private final FastPaths fastPaths = new HandleFastPaths(this);
    private volatile boolean noReuse;
    private volatile boolean closed;

    Handle(Volume volume) {
        this.volume = volume;
        this.readahead = new ReadaheadState(volume.config().readaheadMaxPages());
        this.writebackErrors = volume.cache().writebackErrors().open();
        this.pinQuota = volume.engine().config().mappedPagesPerHandle(volume.pageSize());
    }

    public Volume volume() {
        checkOpen();
        return volume;
    }

    private void checkOpen() {
        if (closed) {
            throw new ErrnoException(Errno.ESHUTDOWN, "handle on " + volume.name() + " is closed");
        }
    }

    ReadaheadState readahead() {
        return readahead;
    }

    void setNoReuse(boolean on) {
        noReuse = on;
    }

    boolean noReuse() {
        return noReuse;
    }

    /** Buffered read through the page cache, with ondemand readahead. */
    public void read(long offset, ByteBuffer dst) {
        BufferedIo.read(this, offset, dst);
    }

    boolean isClosed() {
        return closed;
    }

    /**
     * The shortcuts beside the operation table (no waiting, no copying) that only some front
     * ends can use: see {@link FastPaths}. Every front end shares the operations here.
     */
    public FastPaths fastPaths() {
        return fastPaths;
    }

    /**
     * Buffered write; with {@code fua} the range is then synced as {@link #flush(long, long)}
     * does, so a FUA write also reports a writeback failure this handle has not seen.
     */
    public void write(long offset, ByteBuffer src, boolean fua) {
        long len = src.remaining();
        try (Recalls.Scope recall = recalls()) {
            BufferedIo.write(this, offset, src);
        }
        syncIfFua(fua, offset, len);
    }

    /** Buffered gather write: the buffers' bytes in turn from {@code offset}, as one write. */
    public void write(long offset, ByteBuffer[] srcs, boolean fua) {
        long len = BufferedIo.remaining(srcs);
        try (Recalls.Scope recall = recalls()) {
            BufferedIo.write(this, offset, srcs);
        }
        syncIfFua(fua, offset, len);
    }

    /**
     * The scope an operation that may invalidate mappings runs in: when it closes (the work done,
     * its locks released), the mappings it invalidated have been recalled (see {@link Recalls}).
     */
    private Recalls.Scope recalls() {
        return volume.engine().recalls().open();
    }

    /** FUA is the write, then fsync of its range (Linux's O_DSYNC write): same errors as a flush. */
    private void syncIfFua(boolean fua, long offset, long len) {
        if (fua) {
            volume.sync(len > 0 ? volume.firstPage(offset) : 0, len > 0 ? volume.endPage(offset, len) : 0,
                    writebackErrors);
        }
    }

    /** {@link FastPaths#writeFromPipe}: here for its recall scope and FUA, which it shares with the writes. */
    boolean writeFromPipe(long offset, PayloadPipe pipe, long length, boolean direct, boolean fua) {
        boolean written;
        try (Recalls.Scope recall = recalls()) {
            written = direct ? DirectIo.writeFromPipe(this, offset, pipe.storePipe(), length)
                    : BufferedIo.writeFromPipe(this, offset, pipe.storePipe(), length);
        }
        syncIfFua(written && fua, offset, length);
        return written;
    }

    /** {@link FastPaths#writeFromPipe(long, PayloadPipe, ByteBuffer[], boolean, boolean)}, buffered. */
    boolean writeFromPipeThenBuffers(long offset, PayloadPipe pipe, ByteBuffer[] rest, boolean fua) {
        long length = pipe.buffered() + BufferedIo.remaining(rest);
        boolean written;
        try (Recalls.Scope recall = recalls()) {
            written = BufferedIo.writeFromPipe(this, offset, pipe.storePipe(), pipe.buffered(), rest);
        }
        syncIfFua(written && fua, offset, length);
        return written;
    }

    /** Direct read: BLOCK on the range, dirty cached pages written back (they stay), store read. */
    public void readDirect(long offset, ByteBuffer dst) {
        DirectIo.read(this, offset, dst);
    }

    /**
     * Direct write: BLOCK on the range, write-and-invalidate, store write; {@code fua} then
     * syncs the range as {@link #write} does.
     */
    public void writeDirect(long offset, ByteBuffer src, boolean fua) {
        long len = src.remaining();
        try (Recalls.Scope recall = recalls()) {
            DirectIo.write(this, offset, src);
        }
        syncIfFua(fua, offset, len);
    }

    /** Direct gather write: the buffers' bytes in turn from {@code offset}, as one write. */
    public void writeDirect(long offset, ByteBuffer[] srcs, boolean fua) {
        long len = BufferedIo.remaining(srcs);
        try (Recalls.Scope recall = recalls()) {
            DirectIo.write(this, offset, srcs);
        }
        syncIfFua(fua, offset, len);
    }

    /**
     * Direct read into a mapping's pages. EDEADLOCK, with nothing changed, when filling the
     * mapping would need ADD on a range this read holds in BLOCK (DESIGN.md rule 2).
     */
    public void readDirect(long offset, MappedBuffer dst) {
        DirectIo.readIntoMapping(this, offset, dst);
    }

    /** Direct write from a mapping's pages; EDEADLOCK as for {@link #readDirect(long, MappedBuffer)}. */
    public void writeDirect(long offset, MappedBuffer src, boolean fua) {
        try (Recalls.Scope recall = recalls()) {
            DirectIo.writeFromMapping(this, offset, src);
        }
        syncIfFua(fua, offset, src.length());
    }

    /**
     * Maps {@code [offset, offset+length)}: offset page-aligned, length positive, the range inside
     * the volume (EINVAL otherwise); writable needs a writable volume (EROFS). Pages are faulted
     * in on access through the mapping; {@code listener} hears when they are shot down.
     */
    public Mapping map(long offset, long length, boolean writable, InvalidationListener listener) {
        Volume v = volume();
        v.checkOpen();
        if (writable) {
            v.checkWritable();
        }
        if (offset % v.pageSize() != 0 || length <= 0) {
            throw new ErrnoException(Errno.EINVAL, "map needs a page-aligned offset and a positive length; got "
                    + offset + "+" + length);
        }
        v.checkRange(offset, length, false);
        Mapping m = new Mapping(this, offset, length, writable, listener == null ? InvalidationListener.NONE : listener);
        mappings.add(m);
        v.registerMapping(m);
        return m;
    }

    void forget(Mapping m) {
        mappings.remove(m);
    }

    /** Pages pinned by this handle's mappings now. */
    public long pinnedPages() {
        return pinned.get();
    }

    /**
     * Reserves {@code pages} of this handle's pin quota for a fault about to map them; ENOMEM,
     * with nothing reserved, when that would pass the quota. See {@link Mapping}.
     */
    void reservePins(long pages, Mapping m) {
        long cur;
        do {
            cur = pinned.get();
            if (cur + pages > pinQuota) {
                throw new ErrnoException(Errno.ENOMEM, "mapping " + m + " would pin " + (cur + pages)
                        + " pages, past this handle's quota of " + pinQuota
                        + " (mappedShare of the cache): unmap some, or read without mapping");
            }
        } while (!pinned.compareAndSet(cur, cur + pages));
    }

    void releasePins(long pages) {
        pinned.addAndGet(-pages);
    }

    /** fallocate(2). Collapse and insert need page-aligned offset and length (EINVAL otherwise). */
    public void fallocate(FallocateMode mode, long offset, long length) {
        checkOpen();
        try (Recalls.Scope recall = recalls()) {
            SpaceOps.fallocate(this, mode, offset, length);
        }
    }

    /** Sets the volume's size; bytes past the old end read as zeroes. */
    public void truncate(long newSize) {
        checkOpen();
        try (Recalls.Scope recall = recalls()) {
            SpaceOps.truncate(this, newSize);
        }
    }

    /** posix_fadvise(2) on the range ({@code length} 0 means to the end). */
    public void fadvise(Advice advice, long offset, long length) {
        Fadvise.advise(this, advice, offset, length);
    }

    /**
     * Writes back every dirty page of the volume and forces the store (fsync). Fails with the
     * errno of a writeback failure of the volume that this handle has not been told of yet
     * (ENOSPC, EIO), once: Linux's errseq_t semantics, see {@link Volume#sync}.
     */
    public void flush() {
        Volume v = volume();
        v.checkOpen();
        v.sync(0, Long.MAX_VALUE, writebackErrors);
    }

    /** Writes back the dirty pages of the range and forces the store (sync_file_range + fdatasync); errors as {@link #flush()}. */
    public void flush(long offset, long length) {
        Volume v = volume();
        v.checkOpen();
        v.checkRange(offset, length, false);
        v.sync(length > 0 ? v.firstPage(offset) : 0, length > 0 ? v.endPage(offset, length) : 0, writebackErrors);
    }

    /**
     * Allocation of the range: the store's extents, with dirty cached pages counted as data.
     * At most {@code maxExtents} extents, covering a prefix of the range.
     */
    public List<Allocation> blockStatus(long offset, long length, int maxExtents) {
        return BlockStatus.query(this, offset, length, maxExtents);
    }

    /** Unmaps this handle's mappings. Idempotent. */
    @Override
    public void close() {
        synchronized (this) {
            if (!closed) {
                volume.handleClosed();
            }
            closed = true;
        }
        for (Mapping m : List.copyOf(mappings)) {
            m.close();
        }
    }
}
