package io.blockhaus.nbd;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;

/**
 * One WRITE's payload as it arrives. Large pieces (what a socket read usually brings) are kept
 * as they are, without a copy, and written with one gather call; small pieces are copied
 * together into blocks of up to 64 KiB. So however the client splits its bytes (one at a time,
 * if it likes), each byte is copied at most once and the payload stays at most about
 * {@code length / 32 KiB + 2 x large pieces} pieces: nothing grows with what the client chooses.
 * Not thread-safe: the event loop owns it until {@link #finish}.
 */
final class WritePayload {
    static final int BLOCK = 64 * 1024;
    static final int KEEP = BLOCK / 2;

    private final ByteBufAllocator alloc;
    private final CompositeByteBuf pieces;
    private final long length;
    private long received;
    private ByteBuf tail;

    WritePayload(ByteBufAllocator alloc, long length) {
        this.alloc = alloc;
        this.length = length;
        this.pieces = alloc.compositeDirectBuffer(Integer.MAX_VALUE);
    }

    /** Appends the chunk's readable bytes; the caller keeps its reference to {@code chunk}. */
    void add(ByteBuf chunk) {
        int n = chunk.readableBytes();
        received += n;
        if (n >= KEEP) {
            sealTail();
            pieces.addComponent(true, chunk.retainedSlice());
            return;
        }
        while (chunk.isReadable()) {
            if (tail == null) {
                int size = (int) Math.max(1, Math.min(BLOCK, length - received + chunk.readableBytes()));
                tail = alloc.directBuffer(size, size);
            }
            int k = Math.min(tail.writableBytes(), chunk.readableBytes());
            tail.writeBytes(chunk, chunk.readerIndex(), k);
            chunk.skipBytes(k);
            if (!tail.isWritable()) {
                sealTail();
            }
        }
    }

    /** Bytes still to come. */
    long remaining() {
        return length - received;
    }

    /** The whole payload; ownership passes to the caller, who releases it. */
    ByteBuf finish() {
        sealTail();
        return pieces;
    }

    /** Drops everything (the connection closed while the payload was arriving). */
    void release() {
        if (tail != null) {
            tail.release();
            tail = null;
        }
        pieces.release();
    }

    private void sealTail() {
        if (tail != null) {
            pieces.addComponent(true, tail);
            tail = null;
        }
    }
}
