package io.blockhaus.engine;

import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import io.blockhaus.engine.store.BackingStore;
import io.blockhaus.engine.store.Extent;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A store that fails chosen writes, as a filling or dying disk does, and counts every write it is
 * asked for: {@link #failWrites} makes each write that touches a chosen range fail with an
 * errno until {@link #heal} is called. Writes that fail change nothing. Reads, force and
 * the rest pass through to an {@link ArrayStore}.
 */
final class FaultInjectingStore implements BackingStore {
    private final ArrayStore d;
    private final AtomicInteger writeCalls = new AtomicInteger();
    private final AtomicInteger failedWrites = new AtomicInteger();
    private volatile Errno errno; // null: healthy
    private volatile long failFrom;
    private volatile long failTo;

    FaultInjectingStore(long size) {
        this.d = new ArrayStore(size);
    }

    /** From now on every write touching a byte of {@code [from, to)} fails with {@code e}. */
    void failWrites(Errno e, long from, long to) {
        failFrom = from;
        failTo = to;
        errno = e;
    }

    /** From now on every write fails with {@code e}. */
    void failWrites(Errno e) {
        failWrites(e, 0, Long.MAX_VALUE);
    }

    /** Space came back, or the disk was replaced: writes succeed again. */
    void heal() {
        errno = null;
    }

    /** Write calls so far, failed or not. */
    int writeCalls() {
        return writeCalls.get();
    }

    int failedWrites() {
        return failedWrites.get();
    }

    byte[] peek(long offset, int len) {
        return d.peek(offset, len);
    }

    private void maybeFail(long offset, long len) {
        writeCalls.incrementAndGet();
        Errno e = errno;
        if (e != null && offset + len > failFrom && offset < failTo) {
            failedWrites.incrementAndGet();
            throw new ErrnoException(e, "injected write failure at " + offset + "+" + len);
        }
    }

    @Override
    public void write(long offset, ByteBuffer src) {
        maybeFail(offset, src.remaining());
        d.write(offset, src);
    }

    @Override
    public void write(long offset, ByteBuffer[] srcs) {
        maybeFail(offset, BufferedIo.remaining(srcs));
        d.write(offset, srcs);
    }

    @Override public long size() { return d.size(); }
    @Override public void read(long offset, ByteBuffer dst) { d.read(offset, dst); }
    @Override public void read(long offset, ByteBuffer[] dsts) { d.read(offset, dsts); }
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
