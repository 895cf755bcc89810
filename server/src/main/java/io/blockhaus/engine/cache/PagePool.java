package io.blockhaus.engine.cache;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/**
 * Off-heap memory for pages of one size, carved from 1 MiB slabs and recycled through a free
 * list, so an I/O never allocates page memory on the Java heap and a freed page is reused rather
 * than returned to the OS. How much of it may be in use is the {@link MemoryBudget}'s business;
 * the pool only grows to the high-water mark the budget allows and is released when the engine
 * closes.
 *
 * <p>What is recycled is a {@link Frame}: the segment together with its buffer view, both made
 * once when the slab is carved, so a miss allocates neither (each was an object per miss that,
 * with a large cache, lived long enough to be copied by every young collection).
 */
final class PagePool implements AutoCloseable {
    private static final long SLAB_BYTES = 1L << 20;

    private final int pageSize;
    private final Arena arena = Arena.ofShared();
    private final Object mutex = new Object();
    // guarded by mutex
    private final ArrayDeque<Frame> free = new ArrayDeque<>();
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
    Frame allocate() {
        Frame seg;
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

    void free(Frame seg) {
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
            MemorySegment page = s.asSlice(off, pageSize);
            free.push(new Frame(page, page.asByteBuffer()));
        }
    }

    /** One page's memory and its buffer view (absolute get/put only: shared by whoever holds the page). */
    record Frame(MemorySegment memory, ByteBuffer buffer) {
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
