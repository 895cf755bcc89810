package io.blockhaus.engine;

import io.blockhaus.engine.lock.PagecacheLock;

/**
 * One exported block device: its page cache, its pagecache lock and its backing store.
 * Every operation goes through a {@link Handle}; the volume itself only describes and closes.
 */
public final class Volume implements AutoCloseable {

    public String name() { throw new UnsupportedOperationException("TODO"); }

    /** Current size in bytes (changes with truncate, collapse and insert). */
    public long size() { throw new UnsupportedOperationException("TODO"); }

    public int pageSize() { throw new UnsupportedOperationException("TODO"); }

    public boolean readOnly() { throw new UnsupportedOperationException("TODO"); }

    public VolumeConfig config() { throw new UnsupportedOperationException("TODO"); }

    /** The volume's pagecache lock (for metrics gauges and tests). */
    public PagecacheLock lock() { throw new UnsupportedOperationException("TODO"); }

    /** Opens a handle: one client's view, with its own readahead state and fadvise mode. */
    public Handle open() { throw new UnsupportedOperationException("TODO"); }

    /** Pages of this volume in the cache now. */
    public long cachedPages() { throw new UnsupportedOperationException("TODO"); }

    /** Dirty pages of this volume now. */
    public long dirtyPages() { throw new UnsupportedOperationException("TODO"); }

    /**
     * Writes back every dirty page, forces the store, drops every page and closes the store.
     * Handles and mappings fail with ESHUTDOWN afterwards. Idempotent.
     */
    @Override
    public void close() { throw new UnsupportedOperationException("TODO"); }
}
