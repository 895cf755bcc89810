package io.blockhaus.engine;

import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A store that fails chosen writes, as a filling or dying disk does, and counts every write it is
 * asked for: {@link #failWrites} makes each write that touches a chosen range fail with an
 * errno until {@link #heal} is called. Writes that fail change nothing. Reads, force and
 * the rest pass through to an {@link ArrayStore}.
 */
final class FaultInjectingStore extends ForwardingStore {
    private final ArrayStore d;
    private final AtomicInteger writeCalls = new AtomicInteger();
    private final AtomicInteger failedWrites = new AtomicInteger();
    private volatile Errno errno; // null: healthy
    private volatile long failFrom;
    private volatile long failTo;

    FaultInjectingStore(long size) {
        this(new ArrayStore(size));
    }

    private FaultInjectingStore(ArrayStore d) {
        super(d);
        this.d = d;
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
        super.write(offset, src);
    }

    @Override
    public void write(long offset, ByteBuffer[] srcs) {
        maybeFail(offset, BufferedIo.remaining(srcs));
        super.write(offset, srcs);
    }
}
