package io.blockhaus.nbd;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelConfig;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.util.UncheckedBooleanSupplier;
import java.util.function.IntSupplier;

/**
 * A connection's socket-read sizing: adaptive (up to a megabyte a read) as a rule, or exactly one
 * request header while the client streams large WRITEs, so that their payloads stay in the
 * socket for {@link WriteSplicer} to splice out instead of being copied into the JVM.
 *
 * <p>One instance per channel (it carries that channel's mode). With auto-read off every read is
 * one system call, so the mode is taken once per read, in {@code reset}, and the event loop that
 * sets it is the one that reads: no field here is shared between threads. While limited the
 * adaptive handle hears nothing, so a stream of 28-byte header reads does not shrink the
 * buffer it will use again when the stream ends.
 *
 * <p>The size may also be asked of a {@link IntSupplier} at the start of each read
 * ({@link #sizeEachRead}): the one moment the transport knows the socket has bytes, which is when
 * {@link WriteSplicer} moves the rest of a partly arrived payload into its pipe before the read.
 * Netty's own splice (spliceTo) cannot do that: it splices through a pipe of its own, made and
 * closed on every read, into a descriptor at an offset, which a pipe refuses (ESPIPE).
 */
final class HeaderSizedReads implements RecvByteBufAllocator {
    private final RecvByteBufAllocator adaptive;
    private int limit; // 0: adaptive; else the exact size of the next read
    private IntSupplier sizer; // when set, asked for the size at the start of each read instead

    HeaderSizedReads(RecvByteBufAllocator adaptive) {
        this.adaptive = adaptive;
    }

    /** From the next read on, read exactly {@code bytes} (a header, or the rest of a payload), or adaptively when 0. */
    void limitNextReads(int bytes) {
        limit = bytes;
        sizer = null;
    }

    /**
     * From the next read on, asks {@code sizer} at the start of each read (on the event loop,
     * when the socket is readable) for its exact size (above 0). It must not throw: it runs inside
     * the transport's read.
     */
    void sizeEachRead(IntSupplier sizer) {
        this.sizer = sizer;
    }

    @Override
    public Handle newHandle() {
        return new LimitedHandle((ExtendedHandle) adaptive.newHandle());
    }

    private final class LimitedHandle implements ExtendedHandle {
        private final ExtendedHandle delegate;
        private int size;     // this read's limit, 0 when adaptive
        private int attempted;
        private int last;

        LimitedHandle(ExtendedHandle delegate) {
            this.delegate = delegate;
        }

        @Override
        public void reset(ChannelConfig config) {
            size = sizer != null ? sizer.getAsInt() : limit;
            attempted = 0;
            last = 0;
            delegate.reset(config);
        }

        @Override
        public ByteBuf allocate(ByteBufAllocator alloc) {
            return size > 0 ? alloc.ioBuffer(size, size) : delegate.allocate(alloc);
        }

        @Override
        public int guess() {
            return size > 0 ? size : delegate.guess();
        }

        @Override
        public void incMessagesRead(int numMessages) {
            delegate.incMessagesRead(numMessages);
        }

        @Override
        public void lastBytesRead(int bytes) {
            if (size > 0) {
                last = bytes;
            } else {
                delegate.lastBytesRead(bytes);
            }
        }

        @Override
        public int lastBytesRead() {
            return size > 0 ? last : delegate.lastBytesRead();
        }

        @Override
        public void attemptedBytesRead(int bytes) {
            if (size > 0) {
                attempted = bytes;
            } else {
                delegate.attemptedBytesRead(bytes);
            }
        }

        @Override
        public int attemptedBytesRead() {
            return size > 0 ? attempted : delegate.attemptedBytesRead();
        }

        @Override
        public boolean continueReading() {
            return size == 0 && delegate.continueReading();
        }

        @Override
        public boolean continueReading(UncheckedBooleanSupplier maybeMoreDataSupplier) {
            return size == 0 && delegate.continueReading(maybeMoreDataSupplier);
        }

        @Override
        public void readComplete() {
            if (size == 0) {
                delegate.readComplete();
            }
        }
    }
}
