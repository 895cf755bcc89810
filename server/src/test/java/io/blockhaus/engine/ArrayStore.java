package io.blockhaus.engine;

import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import io.blockhaus.engine.store.BackingStore;
import io.blockhaus.engine.store.Extent;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A deliberately simple, obviously-correct sparse in-memory {@link BackingStore} for tests, and an
 * independent reference implementation of the store contract. Bytes live in 4 KiB chunks in a
 * {@link TreeMap}; an absent chunk is a hole. Every method is {@code synchronized}, so concurrent
 * calls are trivially safe (and each call is atomic, which real stores need not be).
 *
 * <p>Invariant: bytes at or past {@link #size()} inside a chunk are always zero (shrinking zeroes
 * them), so growing never resurrects old data.
 */
final class ArrayStore implements BackingStore {
    static final int CHUNK = 4096;
    private static final byte[] ZERO = new byte[CHUNK];

    private final TreeMap<Long, byte[]> chunks = new TreeMap<>();
    private final int alignment;
    private long size;
    private boolean closed;
    private long forces;

    ArrayStore(long size) {
        this(size, CHUNK);
    }

    ArrayStore(long size, int alignment) {
        if (size < 0) {
            throw new IllegalArgumentException("negative size " + size);
        }
        if (Integer.bitCount(alignment) != 1 || alignment % CHUNK != 0) {
            throw new IllegalArgumentException("alignment must be a power-of-two multiple of " + CHUNK);
        }
        this.size = size;
        this.alignment = alignment;
    }

    synchronized boolean isClosed() {
        return closed;
    }

    synchronized long forces() {
        return forces;
    }

    /** Number of allocated chunks (for tests of sparseness). */
    synchronized int allocatedChunks() {
        return chunks.size();
    }

    /** Reads even after {@link #close()}, for tests that check what a closing volume left behind. */
    synchronized byte[] peek(long offset, int length) {
        boolean was = closed;
        closed = false;
        try {
            ByteBuffer b = ByteBuffer.allocate(length);
            read(offset, b);
            return b.array();
        } finally {
            closed = was;
        }
    }

    @Override
    public synchronized long size() {
        return size;
    }

    private void checkOpen() {
        if (closed) {
            throw new ErrnoException(Errno.EIO, "store is closed");
        }
    }

    private static void checkRange(long offset, long length) {
        if (offset < 0 || length < 0 || offset + length < 0) {
            throw new ErrnoException(Errno.EINVAL, "bad range " + offset + "+" + length);
        }
    }

    @Override
    public synchronized void read(long offset, ByteBuffer dst) {
        checkOpen();
        checkRange(offset, dst.remaining());
        long pos = offset;
        while (dst.hasRemaining()) {
            long ci = pos / CHUNK;
            int co = (int) (pos % CHUNK);
            int k = Math.min(CHUNK - co, dst.remaining());
            byte[] c = pos < size ? chunks.get(ci) : null;
            if (c == null) {
                dst.put(ZERO, 0, k);
            } else {
                dst.put(c, co, k);
            }
            pos += k;
        }
    }

    @Override
    public synchronized void write(long offset, ByteBuffer src) {
        checkOpen();
        int n = src.remaining();
        checkRange(offset, n);
        if (offset + n > size) {
            throw new ErrnoException(Errno.EINVAL, "write " + offset + "+" + n + " past the end " + size);
        }
        long pos = offset;
        while (src.hasRemaining()) {
            long ci = pos / CHUNK;
            int co = (int) (pos % CHUNK);
            int k = Math.min(CHUNK - co, src.remaining());
            src.get(chunks.computeIfAbsent(ci, i -> new byte[CHUNK]), co, k);
            pos += k;
        }
    }

    /** Zeroes [from, to) of allocated chunks, for a range inside one chunk or spanning many. */
    private void zeroBytes(long from, long to) {
        long pos = from;
        while (pos < to) {
            long ci = pos / CHUNK;
            int co = (int) (pos % CHUNK);
            int k = (int) Math.min(CHUNK - co, to - pos);
            byte[] c = chunks.get(ci);
            if (c != null) {
                java.util.Arrays.fill(c, co, co + k, (byte) 0);
            }
            pos += k;
        }
    }

    @Override
    public synchronized void punchHole(long offset, long length) {
        checkOpen();
        checkRange(offset, length);
        long end = Math.min(offset + length, size);
        if (offset >= end) {
            return;
        }
        long firstFull = Math.ceilDiv(offset, CHUNK);
        long endFull = end / CHUNK;
        if (end == size) {
            endFull = Math.ceilDiv(end, CHUNK); // the tail past size is zero anyway
        }
        if (firstFull < endFull) {
            chunks.subMap(firstFull, endFull).clear();
            zeroBytes(offset, Math.min(end, firstFull * CHUNK));
            zeroBytes(Math.max(offset, endFull * CHUNK), end);
        } else {
            zeroBytes(offset, end);
        }
    }

    @Override
    public synchronized void zeroRange(long offset, long length) {
        checkOpen();
        checkRange(offset, length);
        long end = Math.min(offset + length, size);
        for (long ci = offset / CHUNK; ci * CHUNK < end; ci++) {
            chunks.computeIfAbsent(ci, i -> new byte[CHUNK]);
        }
        if (offset < end) {
            zeroBytes(offset, end);
        }
    }

    @Override
    public synchronized void allocate(long offset, long length) {
        checkOpen();
        checkRange(offset, length);
        long end = Math.min(offset + length, size);
        for (long ci = offset / CHUNK; ci * CHUNK < end; ci++) {
            chunks.computeIfAbsent(ci, i -> new byte[CHUNK]);
        }
    }

    private void checkAligned(String op, long offset, long length) {
        if (length <= 0 || offset % alignment != 0 || length % alignment != 0) {
            throw new ErrnoException(Errno.EINVAL, op + " " + offset + "+" + length + " is not aligned to " + alignment);
        }
    }

    private void shift(long fromChunk, long deltaChunks) {
        Map<Long, byte[]> tail = new TreeMap<>(chunks.tailMap(fromChunk, true));
        chunks.tailMap(fromChunk, true).clear();
        for (Map.Entry<Long, byte[]> e : tail.entrySet()) {
            chunks.put(e.getKey() + deltaChunks, e.getValue());
        }
    }

    @Override
    public synchronized void collapseRange(long offset, long length) {
        checkOpen();
        checkRange(offset, length);
        checkAligned("collapse", offset, length);
        if (offset + length >= size) {
            throw new ErrnoException(Errno.EINVAL, "collapse " + offset + "+" + length + " reaches the end " + size);
        }
        long first = offset / CHUNK;
        long end = (offset + length) / CHUNK;
        chunks.subMap(first, end).clear();
        shift(end, -(end - first));
        size -= length;
    }

    @Override
    public synchronized void insertRange(long offset, long length) {
        checkOpen();
        checkRange(offset, length);
        checkAligned("insert", offset, length);
        if (offset >= size) {
            throw new ErrnoException(Errno.EINVAL, "insert at " + offset + " is not below the size " + size);
        }
        if (size + length < 0) {
            throw new ErrnoException(Errno.EFBIG, "insert overflows the size");
        }
        shift(offset / CHUNK, length / CHUNK);
        size += length;
    }

    @Override
    public synchronized void truncate(long newSize) {
        checkOpen();
        if (newSize < 0) {
            throw new ErrnoException(Errno.EINVAL, "negative size " + newSize);
        }
        if (newSize < size) {
            chunks.tailMap(Math.ceilDiv(newSize, CHUNK), true).clear();
            if (newSize % CHUNK != 0) {
                zeroBytes(newSize, Math.ceilDiv(newSize, CHUNK) * CHUNK);
            }
        }
        size = newSize;
    }

    @Override
    public synchronized void force() {
        checkOpen();
        forces++;
    }

    @Override
    public synchronized List<Extent> extents(long offset, long length, int maxExtents) {
        checkOpen();
        checkRange(offset, length);
        if (maxExtents < 1) {
            throw new ErrnoException(Errno.EINVAL, "maxExtents " + maxExtents);
        }
        List<Extent> out = new ArrayList<>();
        long end = Math.min(offset + length, size);
        long pos = offset;
        while (pos < end) {
            long ci = pos / CHUNK;
            boolean hole = !chunks.containsKey(ci);
            long runEnd;
            if (hole) {
                Long next = chunks.ceilingKey(ci);
                runEnd = next == null ? end : Math.min(end, next * CHUNK);
            } else {
                long c = ci;
                while (chunks.containsKey(c + 1) && (c + 1) * CHUNK < end) {
                    c++;
                }
                runEnd = Math.min(end, (c + 1) * CHUNK);
            }
            if (out.size() == maxExtents) {
                break;
            }
            out.add(new Extent(pos, runEnd - pos, hole));
            pos = runEnd;
        }
        return out;
    }

    @Override
    public int blockAlignment() {
        return alignment;
    }

    @Override
    public synchronized void close() {
        closed = true;
    }
}
