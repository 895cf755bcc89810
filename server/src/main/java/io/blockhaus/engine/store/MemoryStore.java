package io.blockhaus.engine.store;

import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A sparse {@link BackingStore} in memory: the store is cut into chunks of
 * {@link #blockAlignment()} bytes and only written chunks exist; a missing chunk is a hole.
 * Memory use is therefore proportional to what was written, not to the size.
 *
 * <p>Chunks are block sized so that collapse and insert, which must be block aligned, move whole
 * chunks: they renumber map keys and never copy bytes.
 *
 * <p>Invariant: bytes of the last chunk at or past {@link #size()} are zero, and no chunk lies
 * wholly past it, so growing the store never exposes old data.
 *
 * <p>Locking: reads, writes, punch and zero share the read side of {@code lock} (the chunk map is
 * concurrent); truncate, collapse, insert and close renumber or drop chunks and take the write
 * side. Each copy into or out of a chunk holds that chunk's monitor, so a read racing a write of
 * the same block sees the block before or after, never a mix (a disk's sector atomicity; the
 * engine does not exclude a direct read from a concurrent writeback).
 */
public final class MemoryStore implements BackingStore {
    public static final int DEFAULT_ALIGNMENT = 4096;

    private final int chunkSize;
    private final int shift;
    private final ConcurrentSkipListMap<Long, byte[]> chunks = new ConcurrentSkipListMap<>();
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private volatile long size;
    private volatile boolean closed;

    public MemoryStore(long size) {
        this(size, DEFAULT_ALIGNMENT);
    }

    /** A store of {@code size} bytes, all hole, with the given alignment (a power of two). */
    public MemoryStore(long size, int blockAlignment) {
        if (size < 0) {
            throw einval("negative size " + size);
        }
        if (blockAlignment < 1 || Integer.bitCount(blockAlignment) != 1) {
            throw einval("block alignment " + blockAlignment + " is not a power of two");
        }
        this.size = size;
        this.chunkSize = blockAlignment;
        this.shift = Integer.numberOfTrailingZeros(blockAlignment);
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public int blockAlignment() {
        return chunkSize;
    }

    /** Bytes of memory held for data: the written chunks. */
    public long allocatedBytes() {
        return (long) chunks.size() * chunkSize;
    }

    @Override
    public void read(long offset, ByteBuffer dst) {
        int n = dst.remaining();
        StoreArguments.checkReadInto(offset, dst);
        enter(false);
        try {
            long end = Math.min(offset + n, size);
            for (long pos = offset; pos < end; ) {
                int in = (int) (pos & (chunkSize - 1));
                int k = (int) Math.min(chunkSize - in, end - pos);
                byte[] chunk = chunks.get(pos >>> shift);
                if (chunk == null) {
                    Zeroes.fill(dst.slice(dst.position(), k));
                    dst.position(dst.position() + k);
                } else {
                    synchronized (chunk) {
                        dst.put(chunk, in, k);
                    }
                }
                pos += k;
            }
            Zeroes.fill(dst);
        } finally {
            exit(false);
        }
    }

    /** Memory is always in memory; only a resize or close in progress sends the caller the blocking way. */
    @Override
    public boolean readIfInMemory(long offset, ByteBuffer[] dsts) {
        if (!lock.readLock().tryLock()) {
            return false;
        }
        try {
            if (closed) {
                return false;
            }
            BackingStore.super.read(offset, dsts); // reentrant read lock: read() takes it again
            return true;
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public void write(long offset, ByteBuffer src) {
        write(offset, new ByteBuffer[] {src});
    }

    @Override
    public void write(long offset, ByteBuffer[] srcs) {
        long total = 0;
        for (ByteBuffer src : srcs) {
            total += src.remaining();
        }
        enter(false);
        try {
            checkRange("write", offset, total);
            long pos = offset;
            for (ByteBuffer src : srcs) {
                while (src.hasRemaining()) {
                    int in = (int) (pos & (chunkSize - 1));
                    int k = Math.min(chunkSize - in, src.remaining());
                    byte[] chunk = chunks.computeIfAbsent(pos >>> shift, i -> new byte[chunkSize]);
                    synchronized (chunk) {
                        src.get(chunk, in, k);
                    }
                    pos += k;
                }
            }
        } finally {
            exit(false);
        }
    }

    /** Frees chunks the range covers entirely and zeroes the partial ones at its edges. */
    @Override
    public void punchHole(long offset, long length) {
        enter(false);
        try {
            checkRange("punch hole", offset, length);
            clear(offset, offset + length);
        } finally {
            exit(false);
        }
    }

    /**
     * As {@link #punchHole}: in memory "allocated" buys nothing, so a zeroed range is freed and
     * {@link #extents} reports it as a hole.
     */
    @Override
    public void zeroRange(long offset, long length) {
        punchHole(offset, length);
    }

    /** Checks the range and does nothing: allocation is a hint, and memory is taken on write. */
    @Override
    public void allocate(long offset, long length) {
        enter(false);
        try {
            checkRange("allocate", offset, length);
        } finally {
            exit(false);
        }
    }

    @Override
    public void collapseRange(long offset, long length) {
        enter(true);
        try {
            checkAligned("collapse range", offset, length);
            if (offset >= size - length) {
                throw einval("collapse range " + offset + "+" + length + " must end before the end (" + size + ")");
            }
            long first = offset >>> shift;
            long count = length >>> shift;
            chunks.subMap(first, first + count).clear();
            renumber(first + count, -count);
            size -= length;
        } finally {
            exit(true);
        }
    }

    @Override
    public void insertRange(long offset, long length) {
        enter(true);
        try {
            checkAligned("insert range", offset, length);
            if (offset >= size || length > Long.MAX_VALUE - size) {
                throw einval("insert range " + offset + "+" + length + " must start below the end (" + size + ")");
            }
            renumber(offset >>> shift, length >>> shift);
            size += length;
        } finally {
            exit(true);
        }
    }

    @Override
    public void truncate(long newSize) {
        enter(true);
        try {
            if (newSize < 0) {
                throw einval("truncate to negative size " + newSize);
            }
            if (newSize < size) {
                // Keeps the invariant: the partial last chunk is zeroed past the end, and chunks
                // starting at or past it are dropped.
                clear(newSize, size);
                chunks.tailMap(Math.ceilDiv(newSize, (long) chunkSize)).clear();
            }
            size = newSize;
        } finally {
            exit(true);
        }
    }

    /** Memory is never durable: there is nothing to flush. */
    @Override
    public void force() {
        enter(false);
        exit(false);
    }

    @Override
    public List<Extent> extents(long offset, long length, int maxExtents) {
        StoreArguments.checkExtentsQuery(offset, length, maxExtents);
        enter(false);
        try {
            long end = Math.min(offset + length, size);
            if (offset >= end) {
                return List.of();
            }
            ExtentList out = new ExtentList(maxExtents);
            long pos = offset;
            ConcurrentNavigableMap<Long, byte[]> present =
                    chunks.subMap(offset >>> shift, true, (end - 1) >>> shift, true);
            for (long index : present.keySet()) {
                long start = Math.max(index << shift, offset);
                long stop = Math.min((index + 1) << shift, end);
                if (!out.add(pos, start - pos, true) || !out.add(start, stop - start, false)) {
                    return out.toList();
                }
                pos = stop;
            }
            out.add(pos, end - pos, true);
            return out.toList();
        } finally {
            exit(false);
        }
    }

    /** Zeroing frees chunks: always cheap. */
    @Override
    public boolean zeroesFast(boolean keepAllocated) {
        return true;
    }

    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            closed = true;
            chunks.clear();
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Makes {@code [from, to)} read zero: whole chunks are dropped, partial ones zeroed in place. */
    private void clear(long from, long to) {
        for (long pos = from; pos < to; ) {
            long index = pos >>> shift;
            int in = (int) (pos & (chunkSize - 1));
            int k = (int) Math.min(chunkSize - in, to - pos);
            if (k == chunkSize) {
                chunks.remove(index);
            } else {
                byte[] chunk = chunks.get(index);
                if (chunk != null) {
                    synchronized (chunk) {
                        Arrays.fill(chunk, in, in + k, (byte) 0);
                    }
                }
            }
            pos += k;
            if (k == chunkSize) {
                // Skip straight to the next chunk that exists: a huge punch over holes costs nothing.
                Long next = chunks.ceilingKey(index + 1);
                pos = next == null ? to : Math.max(pos, Math.min(to, next << shift));
            }
        }
    }

    /** Moves every chunk numbered {@code from} or above by {@code delta} chunks. */
    private void renumber(long from, long delta) {
        List<Map.Entry<Long, byte[]>> moved = new ArrayList<>(chunks.tailMap(from).entrySet());
        chunks.tailMap(from).clear();
        for (Map.Entry<Long, byte[]> e : moved) {
            chunks.put(e.getKey() + delta, e.getValue());
        }
    }

    private void enter(boolean exclusive) {
        (exclusive ? lock.writeLock() : lock.readLock()).lock();
        if (closed) {
            exit(exclusive);
            throw new ErrnoException(Errno.ESHUTDOWN, "memory store is closed");
        }
    }

    private void exit(boolean exclusive) {
        (exclusive ? lock.writeLock() : lock.readLock()).unlock();
    }

    private void checkRange(String what, long offset, long length) {
        StoreArguments.checkWithin(what, offset, length, size);
    }

    private void checkAligned(String what, long offset, long length) {
        StoreArguments.checkAligned(what, offset, length, chunkSize);
    }

    private static ErrnoException einval(String message) {
        return StoreArguments.einval(message);
    }
}
