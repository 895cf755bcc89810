package io.blockhaus.server;

import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import io.blockhaus.engine.store.BackingStore;
import io.blockhaus.engine.store.Extent;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * An s3 volume opened read-only (another server owns it, or the export says {@code readonly}), as
 * the engine sees it: reads and block status pass through; every change fails {@code EROFS}, as
 * the engine already refuses them on a read-only volume; and {@link #force()} has nothing to make
 * durable, since no write was ever accepted. Without this, the engine's force at close (and an
 * NBD FLUSH) would ask ownership to confirm a tenure this server never had, and fail, as a file
 * opened read-only never does.
 */
final class ReadOnlyStore implements BackingStore {
    private final BackingStore store;

    ReadOnlyStore(BackingStore store) {
        this.store = store;
    }

    private static ErrnoException refused() {
        return new ErrnoException(Errno.EROFS, "this server opened the volume read-only");
    }

    @Override public long size() { return store.size(); }
    @Override public void read(long offset, ByteBuffer dst) { store.read(offset, dst); }
    @Override public void read(long offset, ByteBuffer[] dsts) { store.read(offset, dsts); }
    @Override public void write(long offset, ByteBuffer src) { throw refused(); }
    @Override public void write(long offset, ByteBuffer[] srcs) { throw refused(); }
    @Override public void punchHole(long offset, long length) { throw refused(); }
    @Override public void zeroRange(long offset, long length) { throw refused(); }
    @Override public void allocate(long offset, long length) { throw refused(); }
    @Override public void collapseRange(long offset, long length) { throw refused(); }
    @Override public void insertRange(long offset, long length) { throw refused(); }
    @Override public void truncate(long newSize) { throw refused(); }
    @Override public void force() { }
    @Override public List<Extent> extents(long offset, long length, int maxExtents) { return store.extents(offset, length, maxExtents); }
    @Override public int blockAlignment() { return store.blockAlignment(); }
    @Override public void close() { store.close(); }
}
