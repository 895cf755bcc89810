package io.blockhaus.engine;

import io.blockhaus.engine.lock.LockListener;
import io.blockhaus.engine.store.BackingStore;

/**
 * One page-cache system: the memory budget, the writeback and readahead workers, and the volumes
 * that share them. Front ends get volumes from here (or from a registry built on it).
 */
public final class Engine implements AutoCloseable {

    public Engine(EngineConfig config) {
        throw new UnsupportedOperationException("TODO");
    }

    /**
     * Opens a volume over {@code store}. The engine owns the store from now on and closes it with
     * the volume. {@code lockListener} sees every acquisition of the volume's pagecache lock.
     */
    public Volume open(VolumeConfig config, BackingStore store, LockListener lockListener) {
        throw new UnsupportedOperationException("TODO");
    }

    public Volume open(VolumeConfig config, BackingStore store) {
        return open(config, store, LockListener.NONE);
    }

    /** Runs one pass of background writeback on the caller's thread (expired pages and ratio). */
    public void writebackNow() {
        throw new UnsupportedOperationException("TODO");
    }

    /** Page memory in use, in bytes, across all volumes. */
    public long usedBytes() {
        throw new UnsupportedOperationException("TODO");
    }

    /** Dirty page memory, in bytes, across all volumes. */
    public long dirtyBytes() {
        throw new UnsupportedOperationException("TODO");
    }

    public EngineConfig config() {
        throw new UnsupportedOperationException("TODO");
    }

    /** Closes every volume (writing back and forcing dirty pages) and stops the workers. */
    @Override
    public void close() {
        throw new UnsupportedOperationException("TODO");
    }
}
