package io.blockhaus.engine.cache;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;

/**
 * Off-heap memory for pages of one size, carved from 1 MiB slabs and recycled through a free
 * list, so an I/O never allocates page memory on the Java heap and a freed page is reused rather
 * than returned to the OS. How much of it may be in use is the {@link MemoryBudget}'s business;
 * the pool only grows to the high-water mark the budget allows and is released when the engine
 * closes.
 */
final class PagePool implements AutoCloseable {
    private static final long SLAB_BYTES = 1L << 20;

    private final int pageSize;
    private final Arena arena = Arena.ofShared();
    private final Object mutex = new Object();
    // guarded by mutex
    private final ArrayDeque<MemorySegment> free = new ArrayDeque<>();
    private boolean closed;

    PagePool(int pageSize) {
        this.pageSize = pageSize;
    }

    int pageSize() {
        return pageSize;
    }

    /**
     * A page-size segment with whatever bytes it last held: every user overwrites all of it
     * before it becomes uptodate (a fill from the store, which zero-fills past the end, or a
     * write covering the whole page), so zeroing it here would only cost a 4 KiB store per miss.
     */
    MemorySegment allocate() {
        MemorySegment seg;
        synchronized (mutex) {
            if (closed) {
                throw new IllegalStateException("page pool closed");
            }
            if (free.isEmpty()) {
                carveSlab();
            }
            seg = free.pop();
        }
        return seg;
    }

    void free(MemorySegment seg) {
        synchronized (mutex) {
            if (!closed) {
                free.push(seg);
            }
        }
    }

    // guarded by mutex
    private void carveSlab() {
        long slab = Math.max(SLAB_BYTES, pageSize);
        MemorySegment s = arena.allocate(slab, pageSize);
        for (long off = 0; off + pageSize <= slab; off += pageSize) {
            free.push(s.asSlice(off, pageSize));
        }
    }

    @Override
    public void close() {
        synchronized (mutex) {
            if (closed) {
                return;
            }
            closed = true;
            free.clear();
        }
        arena.close();
    }
}
