package io.blockhaus.server;

import io.blockhaus.engine.store.BackingStore;
import io.blockhaus.engine.store.Extent;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;

/** A backing store that only records that it was opened and closed. */
final class FakeStore implements BackingStore {
    final Path file;
    final long size;
    final boolean readOnly;
    int closes;

    FakeStore(Path file, long size, boolean readOnly) {
        this.file = file;
        this.size = size;
        this.readOnly = readOnly;
    }

    @Override public long size() { return size; }
    @Override public void read(long offset, ByteBuffer dst) { throw new UnsupportedOperationException(); }
    @Override public void write(long offset, ByteBuffer src) { throw new UnsupportedOperationException(); }
    @Override public void punchHole(long offset, long length) { throw new UnsupportedOperationException(); }
    @Override public void zeroRange(long offset, long length) { throw new UnsupportedOperationException(); }
    @Override public void allocate(long offset, long length) { throw new UnsupportedOperationException(); }
    @Override public void collapseRange(long offset, long length) { throw new UnsupportedOperationException(); }
    @Override public void insertRange(long offset, long length) { throw new UnsupportedOperationException(); }
    @Override public void truncate(long newSize) { throw new UnsupportedOperationException(); }
    @Override public void force() { throw new UnsupportedOperationException(); }
    @Override public List<Extent> extents(long offset, long length, int maxExtents) { throw new UnsupportedOperationException(); }
    @Override public int blockAlignment() { return 4096; }
    @Override public void close() { closes++; }
}
