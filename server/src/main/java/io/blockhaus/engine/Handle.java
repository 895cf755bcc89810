package io.blockhaus.engine;

import io.blockhaus.engine.store.Extent;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * One client's open volume (an NBD connection, a gRPC Open). Every I/O operation of DESIGN.md's
 * table is here, implemented once for both front ends.
 *
 * <p>Errors ({@link io.blockhaus.engine.errno.ErrnoException}), common to all operations:
 * negative offsets or lengths, or a range that overflows: EINVAL; a read past the end: EINVAL;
 * a write or zeroing past the end: ENOSPC; any change on a read-only volume: EROFS; a closed
 * handle or volume: ESHUTDOWN; lock wait past the volume's timeout: ETIMEDOUT; no memory within
 * the engine's wait: ENOMEM; backing store failure: EIO or ENOSPC. A failed operation that was
 * refused for its input changes nothing.
 *
 * <p>Buffers: reads fill {@code dst} from position to limit and advance its position; writes
 * consume {@code src} from position to limit and advance its position.
 */
public final class Handle implements AutoCloseable {

    public Volume volume() { throw new UnsupportedOperationException("TODO"); }

    /** Buffered read through the page cache, with ondemand readahead. */
    public void read(long offset, ByteBuffer dst) { throw new UnsupportedOperationException("TODO"); }

    /** Buffered write; with {@code fua} the range is written back and forced before returning. */
    public void write(long offset, ByteBuffer src, boolean fua) { throw new UnsupportedOperationException("TODO"); }

    /** Direct read: BLOCK on the range, dirty cached pages written back (they stay), store read. */
    public void readDirect(long offset, ByteBuffer dst) { throw new UnsupportedOperationException("TODO"); }

    /** Direct write: BLOCK on the range, write-and-invalidate, store write; {@code fua} forces the store. */
    public void writeDirect(long offset, ByteBuffer src, boolean fua) { throw new UnsupportedOperationException("TODO"); }

    /**
     * Direct read into a mapping's pages. EDEADLOCK, with nothing changed, when filling the
     * mapping would need ADD on a range this read holds in BLOCK (DESIGN.md rule 2).
     */
    public void readDirect(long offset, MappedBuffer dst) { throw new UnsupportedOperationException("TODO"); }

    /** Direct write from a mapping's pages; EDEADLOCK as for {@link #readDirect(long, MappedBuffer)}. */
    public void writeDirect(long offset, MappedBuffer src, boolean fua) { throw new UnsupportedOperationException("TODO"); }

    /**
     * Maps {@code [offset, offset+length)} (page-aligned offset; EINVAL otherwise). Pages are
     * faulted in on access through the mapping; {@code listener} hears when they are shot down.
     */
    public Mapping map(long offset, long length, boolean writable, InvalidationListener listener) {
        throw new UnsupportedOperationException("TODO");
    }

    /** fallocate(2). Collapse and insert need page-aligned offset and length (EINVAL otherwise). */
    public void fallocate(FallocateMode mode, long offset, long length) { throw new UnsupportedOperationException("TODO"); }

    /** Sets the volume's size; bytes past the old end read as zeroes. */
    public void truncate(long newSize) { throw new UnsupportedOperationException("TODO"); }

    /** posix_fadvise(2) on the range ({@code length} 0 means to the end). */
    public void fadvise(Advice advice, long offset, long length) { throw new UnsupportedOperationException("TODO"); }

    /** Writes back every dirty page of the volume and forces the store (fsync). */
    public void flush() { throw new UnsupportedOperationException("TODO"); }

    /** Writes back the dirty pages of the range and forces the store (sync_file_range + fdatasync). */
    public void flush(long offset, long length) { throw new UnsupportedOperationException("TODO"); }

    /**
     * Allocation of the range: the store's extents, with dirty cached pages counted as data.
     * At most {@code maxExtents} extents, covering a prefix of the range.
     */
    public List<Extent> blockStatus(long offset, long length, int maxExtents) { throw new UnsupportedOperationException("TODO"); }

    /** Unmaps this handle's mappings. Idempotent. */
    @Override
    public void close() { throw new UnsupportedOperationException("TODO"); }
}
