package io.blockhaus.engine;

import io.blockhaus.engine.store.BackingStore;
import io.blockhaus.engine.store.Extent;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * A store that passes every call to another: test stores override the calls they break or count.
 * Public for the tests of other packages that break a store under a whole server (monitoring's).
 */
public abstract class ForwardingStore implements BackingStore {
    private final BackingStore d;

    protected ForwardingStore(BackingStore delegate) {
        this.d = delegate;
    }

    @Override public long size() { return d.size(); }
    @Override public void read(long offset, ByteBuffer dst) { d.read(offset, dst); }
    @Override public void read(long offset, ByteBuffer[] dsts) { d.read(offset, dsts); }
    @Override public void write(long offset, ByteBuffer src) { d.write(offset, src); }
    @Override public void write(long offset, ByteBuffer[] srcs) { d.write(offset, srcs); }
    @Override public void punchHole(long offset, long length) { d.punchHole(offset, length); }
    @Override public void zeroRange(long offset, long length) { d.zeroRange(offset, length); }
    @Override public void allocate(long offset, long length) { d.allocate(offset, length); }
    @Override public void collapseRange(long offset, long length) { d.collapseRange(offset, length); }
    @Override public void insertRange(long offset, long length) { d.insertRange(offset, length); }
    @Override public void truncate(long newSize) { d.truncate(newSize); }
    @Override public void force() { d.force(); }
    @Override public List<Extent> extents(long offset, long length, int maxExtents) { return d.extents(offset, length, maxExtents); }
    @Override public int blockAlignment() { return d.blockAlignment(); }
    @Override public void close() { d.close(); }
}
