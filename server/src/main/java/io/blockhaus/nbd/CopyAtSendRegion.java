package io.blockhaus.nbd;

import io.blockhaus.engine.FastPaths;
import io.blockhaus.engine.FileRange;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.FileRegion;
import io.netty.util.AbstractReferenceCounted;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;

/**
 * A READ reply's range of the volume's file, sent to a client on the same machine by copying it
 * into a buffer just before each write to the socket, on the event loop, instead of with
 * sendfile(2) as {@link StoreFileRegion} does.
 *
 * <p>Why copy what could go from the file: on loopback the client's copy out of its socket is
 * the bound of a 1 MiB sequential read (one fio thread), and that copy costs it 60 % more per
 * byte when the bytes are page-cache pages no core has touched (sendfile hands the socket those
 * pages) than when the sender's own copy has just written them and they are still in the CPU's
 * caches (0.231 against 0.144 s/GB; docs/benchmarks/bounds.md, "What sendfile costs on
 * loopback"). The sender pays about the same either way on loopback (0.48 against 0.51 s/GB),
 * since its system call runs the receiver's TCP processing and sendfile takes a reference per
 * page. Over a real network the client's copy does not depend on how the server sent, and
 * sendfile's saving is the server's: so only loopback peers get this region
 * ({@link #worthCopying}).
 *
 * <p>Why at send time, on the event loop, and not on the worker that made the reply: the bytes
 * must be warm when the client copies them, so the thread that sends them reads them just
 * before (the older copying path read on a worker and sent later from the loop, and lost to
 * sendfile). The read never waits for a disk: the engine handed the range out only because its
 * pages were in the kernel's page cache, and the copy is a preadv2 with RWF_NOWAIT
 * ({@link FastPaths#readFileRangeWithoutWaiting}). If that refuses (the kernel evicted a page
 * since, or the file system cannot answer without waiting), the chunk is read with a plain
 * positional read: exactly the read sendfile would have done in the same place, so the
 * exposure is the one {@link StoreFileRegion} has always had, not a new one. Each refusal is
 * counted ({@link SpliceCounters#copyRefused}).
 *
 * <p>Memory: one buffer of at most {@link #CHUNK} bytes, from the channel's pooled allocator,
 * held only while the socket has taken part of it (then the next write goes on from it) and
 * given back when the socket has taken it all, or when the region is released (sent, or its
 * channel closed). It is part of the reply's own length, which the payload budget already
 * counts until the reply is written, so the server-wide bound is unchanged. Event loop only.
 */
final class CopyAtSendRegion extends AbstractReferenceCounted implements FileRegion {
    /**
     * Bytes copied per write. Small enough to stay in the core's L2 between the copy in and the
     * socket's copy out, and to bound the buffer held while a socket is full; large enough that
     * its two system calls are noise beside the copies.
     */
    static final int CHUNK = 256 * 1024;

    private final FastPaths paths;
    private final FileRange range;
    private final ByteBufAllocator alloc;
    private final SpliceCounters counters;
    private long transferred;
    /** Copied bytes the socket has not taken yet: they continue the range at {@link #transferred}. */
    private ByteBuf pending;

    CopyAtSendRegion(FastPaths paths, FileRange range, ByteBufAllocator alloc, SpliceCounters counters) {
        this.paths = paths;
        this.range = range;
        this.alloc = alloc;
        this.counters = counters;
    }

    /** Whether replies to this peer are worth copying at send time: it is on this machine's loopback. */
    static boolean worthCopying(SocketAddress peer) {
        return peer instanceof InetSocketAddress inet && inet.getAddress() != null && inet.getAddress().isLoopbackAddress();
    }

    @Override
    public long position() {
        return range.offset();
    }

    @Override
    @Deprecated
    public long transfered() {
        return transferred;
    }

    @Override
    public long transferred() {
        return transferred;
    }

    @Override
    public long count() {
        return range.length();
    }

    /** Writes the next chunk, from {@code position} bytes into the range (the transport passes {@link #transferred}). */
    @Override
    public long transferTo(WritableByteChannel target, long position) throws IOException {
        long left = range.length() - position;
        if (left <= 0) {
            return 0;
        }
        if (pending == null || position != transferred) {
            releasePending();
            pending = copy(position, (int) Math.min(CHUNK, left));
        }
        ByteBuffer out = pending.nioBuffer(pending.readerIndex(), pending.readableBytes());
        int written = target.write(out);
        pending.skipBytes(written);
        if (!pending.isReadable()) {
            releasePending();
        }
        transferred = position + written;
        return written;
    }

    private ByteBuf copy(long position, int n) throws IOException {
        ByteBuf buf = alloc.directBuffer(n, n);
        try {
            ByteBuffer dst = buf.nioBuffer(0, n);
            if (!paths.readFileRangeWithoutWaiting(range, position, dst)) {
                counters.copyRefused();
                readAsSendfileWould(position, dst);
            }
            return buf.writerIndex(n);
        } catch (IOException | RuntimeException e) {
            buf.release();
            throw e;
        }
    }

    /** The plain read of pages the engine saw resident; see the class comment for why it is no new wait. */
    private void readAsSendfileWould(long position, ByteBuffer dst) throws IOException {
        dst.clear();
        while (dst.hasRemaining()) {
            if (range.channel().read(dst, range.offset() + position + dst.position()) < 0) {
                throw new EOFException("the volume's file ends inside a READ reply (shortened behind the server's back?)");
            }
        }
    }

    private void releasePending() {
        if (pending != null) {
            pending.release();
            pending = null;
        }
    }

    @Override
    protected void deallocate() {
        releasePending(); // the file channel is the store's: it closes it with the volume
    }

    @Override
    public CopyAtSendRegion retain() {
        super.retain();
        return this;
    }

    @Override
    public CopyAtSendRegion retain(int increment) {
        super.retain(increment);
        return this;
    }

    @Override
    public CopyAtSendRegion touch() {
        return this;
    }

    @Override
    public CopyAtSendRegion touch(Object hint) {
        return this;
    }
}
