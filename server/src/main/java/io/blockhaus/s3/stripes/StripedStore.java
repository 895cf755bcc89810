package io.blockhaus.s3.stripes;

import io.blockhaus.engine.store.BackingStore;
import io.blockhaus.engine.store.Extent;
import io.blockhaus.s3.VolumeGeometry;
import io.blockhaus.s3.VolumeOwnership;
import io.blockhaus.s3.objects.ObjectStore;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * PLACEHOLDER (foundation commit): the striped store is built on branch s9-s3data. The
 * constructor's signature is the seam the server's wiring uses; keep it.
 */
public final class StripedStore implements BackingStore {

    /**
     * @param objects   the bucket
     * @param root      key prefix of this volume, ending in '/': data objects live under {@code root + "data/"}
     * @param geometry  from the manifest
     * @param ownership may this server write; where new sizes are recorded
     */
    public StripedStore(ObjectStore objects, String root, VolumeGeometry geometry, VolumeOwnership ownership,
                        StripedStoreOptions options) {
        throw new UnsupportedOperationException("s3 volumes are not built yet");
    }

    @Override public long size() { throw new UnsupportedOperationException(); }
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
    @Override public int blockAlignment() { throw new UnsupportedOperationException(); }
    @Override public void close() { }
}
