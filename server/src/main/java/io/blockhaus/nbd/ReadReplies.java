package io.blockhaus.nbd;

import io.blockhaus.engine.Allocation;
import io.blockhaus.engine.FileRange;
import io.blockhaus.engine.Handle;
import io.blockhaus.engine.IoMode;
import io.blockhaus.nbd.codec.NbdCommandFlags;
import io.blockhaus.nbd.codec.NbdReplyChunk;
import io.blockhaus.nbd.codec.NbdReadReply;
import io.blockhaus.nbd.codec.NbdRequest;
import io.blockhaus.nbd.codec.NbdSimpleFileReply;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * A validated READ's reply messages: a simple reply, or structured chunks (data, holes for a
 * sparse range, and NONE to end where the last chunk cannot say it). The data is copied from the
 * engine into a buffer, or sent from the volume's file with sendfile(2) where the engine hands
 * out the range as a {@link FileRange}, which it does only when the file's bytes are in the
 * kernel's page cache: the send runs on the event loop, which must never wait for a disk.
 *
 * <h2>Loopback clients: the worker reads the range, the loop sends a buffer</h2>
 * For a client on a loopback address ({@link #copiesFileRanges}), a buffered READ's range of the
 * file is instead read on the worker, with one positional read into the reply's own buffer
 * (room for the header in front), and the event loop writes that buffer. On loopback the
 * sender's system call also runs the receiver's TCP processing, and one connection's replies
 * all leave through its one loop, which is what bounds a 1 MiB stream there: sendfile costs
 * that sender ~0.50 s/GB (a page reference per 4 KiB, and the client then copies pages no core
 * has touched), a buffer just written ~0.27 s/GB (docs/benchmarks/bounds.md, "What sendfile
 * costs on loopback"). The read moves to the workers, which run in parallel, as nbd-server's
 * threads do; only the warm send stays serialised. Copying at send time on the loop instead
 * made the loop's share worse (docs/benchmarks/seqread-2026-12-05.md). Over a real network the
 * receiver's work is on its own machine and sendfile, no copy at all, stays the cheaper send;
 * io=direct exports keep it too (not measured with the copy), and TLS copies anyway. Such a
 * copy is an ordinary buffer reply: the payload budget counts it until it is written, and its
 * error, if any, is known before the reply is, so its data chunk may be the final one.
 */
final class ReadReplies {
    /** Reads this large look for holes first, so a sparse image travels as hole chunks. */
    static final int SPARSE_READ_THRESHOLD = 64 * 1024;
    /**
     * Direct reads this large are sent from the file (sendfile) rather than copied: +11 % at
     * 64 KiB random, +30 % at 1 MiB (docs/benchmarks.md). Smaller ones are not measured and
     * carry a NONE chunk per reply when sent so.
     */
    static final int DIRECT_FROM_FILE_BYTES = 64 * 1024;
    /**
     * Largest READ tried on the event loop: its buffer is allocated before the engine says
     * whether it can answer without waiting, so it must not be sized by the client's number
     * alone; and copying more than this on a loop delays every connection sharing it.
     */
    static final int MAX_INLINE_READ = 256 * 1024;

    private final NbdSession session;
    private final Handle handle;
    private final ByteBufAllocator alloc;
    private final SpliceCounters counters;
    private final boolean copyFileRanges;

    /** {@code copyFileRanges}: read buffered file ranges on the worker rather than sendfile them ({@link #copiesFileRanges}). */
    ReadReplies(NbdSession session, Handle handle, ByteBufAllocator alloc, SpliceCounters counters, boolean copyFileRanges) {
        this.session = session;
        this.handle = handle;
        this.alloc = alloc;
        this.counters = counters;
        this.copyFileRanges = copyFileRanges && !session.tls() && !direct();
    }

    /**
     * Whether a connection's file ranges are better read by its workers than sent with sendfile:
     * its client is on a loopback address (so its receiving runs inside the server's sends) and
     * the server allows it ({@link NbdServerConfig#copyLoopbackReads}). A client on this host
     * that connects through another address keeps sendfile: telling "same host" apart is not
     * worth the code.
     */
    static boolean copiesFileRanges(NbdServerConfig config, SocketAddress peer) {
        return config.copyLoopbackReads() && peer instanceof InetSocketAddress inet
                && inet.getAddress() != null && inet.getAddress().isLoopbackAddress();
    }

    /**
     * The reply if the engine can answer on the calling thread (the event loop) without waiting:
     * cached pages, plus a few absent ones whose bytes the kernel holds in memory; null when it
     * must go to a worker. Only READs of at most {@link #MAX_INLINE_READ} answered with one data
     * chunk qualify (a sparse structured read asks the store for holes first). Engine errors are
     * thrown, as from {@link #read}.
     */
    List<Object> readInline(NbdRequest r) {
        int len = (int) r.length();
        boolean oneChunk = !session.structuredReplies() || r.flags().has(NbdCommandFlags.DF)
                || len < SPARSE_READ_THRESHOLD;
        if (direct() || !oneChunk || len == 0 || len > MAX_INLINE_READ) {
            return null;
        }
        ByteBuf buf = NbdReadReply.allocate(alloc, len);
        boolean read = false;
        try {
            read = handle.fastPaths().readWithoutWaiting(r.offset(), buf.nioBuffer(buf.writerIndex(), len));
        } finally {
            if (!read) {
                buf.release(); // also when the engine threw: the caller answers with its errno
            }
        }
        if (!read) {
            return null;
        }
        buf.writerIndex(buf.writerIndex() + len);
        return List.of(new NbdReadReply(r.cookie(), r.offset(), buf));
    }

    /** The reply messages; may block (a worker's job). Engine errors are thrown. */
    List<Object> read(NbdRequest r) {
        int len = (int) r.length();
        if (!session.structuredReplies()) {
            FileRange range = fileRange(r.offset(), len);
            if (range != null && !copyFileRanges) {
                return List.of(new NbdSimpleFileReply(r.cookie(), sentFromFile(range)));
            }
            return List.of(new NbdReadReply(r.cookie(), r.offset(),
                    range != null ? copiedFromFile(range) : readData(r.offset(), len, true)));
        }
        boolean sparse = !r.flags().has(NbdCommandFlags.DF) && len >= SPARSE_READ_THRESHOLD;
        if (!sparse) {
            Object chunk = dataChunk(r, true, r.offset(), len);
            return chunk instanceof NbdReplyChunk.OffsetDataFile
                    ? List.of(chunk, new NbdReplyChunk.None(r.cookie(), r.offset()))
                    : List.of(chunk);
        }
        List<Allocation> runs = handle.blockStatus(r.offset(), len, 64);
        List<Object> chunks = new ArrayList<>(runs.size() + 1);
        long pos = r.offset();
        long end = r.offset() + len;
        try {
            for (Allocation a : runs) {
                chunks.add(a.zero() // holes and allocated zeroes both read as zeroes
                        ? new NbdReplyChunk.OffsetHole(r.cookie(), r.offset(), false, a.offset(), (int) a.length())
                        : dataChunk(r, false, a.offset(), (int) a.length()));
                pos = a.end();
            }
            if (pos < end) {
                chunks.add(dataChunk(r, false, pos, (int) (end - pos)));
            }
        } catch (RuntimeException e) {
            chunks.forEach(ReferenceCountUtil::release);
            throw e;
        }
        if (!(chunks.getLast() instanceof NbdReadReply)) { // a copy of the whole READ is final itself
            chunks.add(new NbdReplyChunk.None(r.cookie(), r.offset()));
        }
        return chunks;
    }

    /**
     * A structured data chunk for {@code [offset, offset+length)}: from the file where it can be,
     * else copied. A chunk sent from the file is never the final one, whatever {@code done} says
     * (the caller then sends NONE after it): the kernel reads its bytes while sending, so an error
     * can still come up during its transmission, and the specification forbids marking such a
     * chunk final. One read from the file on the worker (a loopback client's) is a buffer like
     * any copy: when it is the whole READ it ends the reply.
     */
    private Object dataChunk(NbdRequest r, boolean done, long offset, int length) {
        FileRange range = fileRange(offset, length);
        if (range != null && !copyFileRanges) {
            return new NbdReplyChunk.OffsetDataFile(r.cookie(), r.offset(), false, offset, sentFromFile(range));
        }
        boolean whole = offset == r.offset() && length == r.length();
        if (range != null) { // read on this worker: its bytes are in hand, so it may end the reply
            ByteBuf copy = copiedFromFile(range);
            return whole ? new NbdReadReply(r.cookie(), offset, copy)
                    : new NbdReplyChunk.OffsetData(r.cookie(), r.offset(), done, offset, copy);
        }
        if (done && whole) { // the whole READ in one chunk: framed in place
            return new NbdReadReply(r.cookie(), offset, readData(offset, length, true));
        }
        return new NbdReplyChunk.OffsetData(r.cookie(), r.offset(), done, offset, readData(offset, length, false));
    }

    /**
     * The read of {@code [offset, offset+length)} as a range of the file, where the engine gives
     * one (buffered: a stream over nothing dirty, see
     * {@link io.blockhaus.engine.FastPaths#readAsFileRange}; direct: any read of at least {@link #DIRECT_FROM_FILE_BYTES},
     * see {@link Handle#readDirectAsFileRange}; both only when the bytes are in the kernel's page
     * cache); null otherwise (then the caller copies through the engine, here on the worker). The
     * caller sends the range with sendfile ({@link #sentFromFile}) or, for a loopback client
     * ({@link #copyFileRanges}), reads it here ({@link #copiedFromFile}). NBD lets requests in
     * flight complete in any order, which is what makes a read done at send time sound.
     */
    private FileRange fileRange(long offset, int length) {
        if (session.tls()) {
            return null; // sendfile would put plaintext on a TLS connection: the TLS handler takes buffers only
        }
        return !direct() ? handle.fastPaths().readAsFileRange(offset, length)
                : length >= DIRECT_FROM_FILE_BYTES ? handle.fastPaths().readDirectAsFileRange(offset, length) : null;
    }

    /** The range as a region the event loop sends with sendfile(2): the kernel reads it then. */
    private StoreFileRegion sentFromFile(FileRange range) {
        counters.sentFromFile();
        return new StoreFileRegion(range);
    }

    /**
     * The range read now, on this worker, into a buffer with a reply header's room in front
     * ({@link NbdReadReply#allocate}); engine errors are thrown with nothing held.
     */
    private ByteBuf copiedFromFile(FileRange range) {
        int length = (int) range.length();
        ByteBuf buf = NbdReadReply.allocate(alloc, length);
        try {
            handle.fastPaths().readFileRange(range, buf.nioBuffer(buf.writerIndex(), length));
        } catch (RuntimeException e) {
            buf.release(); // the caller answers with the engine's errno, as for a copy through it
            throw e;
        }
        counters.copiedFromFile();
        return buf.writerIndex(buf.writerIndex() + length);
    }

    /** The data of {@code [offset, offset+length)} in a buffer, with room for a reply header in front if {@code headroom} ({@link NbdReadReply}). */
    private ByteBuf readData(long offset, int length, boolean headroom) {
        ByteBuf buf = headroom ? NbdReadReply.allocate(alloc, length) : alloc.directBuffer(length, length);
        try {
            var dst = buf.nioBuffer(buf.writerIndex(), length);
            if (direct()) {
                handle.readDirect(offset, dst);
            } else {
                handle.read(offset, dst);
            }
            return buf.writerIndex(buf.writerIndex() + length);
        } catch (RuntimeException e) {
            buf.release();
            throw e;
        }
    }

    private boolean direct() {
        return session.volume().config().io() == IoMode.DIRECT;
    }
}
