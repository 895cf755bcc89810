package io.blockhaus.nbd;

import io.blockhaus.engine.Advice;
import io.blockhaus.engine.FallocateMode;
import io.blockhaus.engine.Handle;
import io.blockhaus.engine.IoMode;
import io.blockhaus.engine.errno.ErrnoException;
import io.blockhaus.engine.store.Extent;
import io.blockhaus.engine.store.FileRange;
import io.blockhaus.engine.store.NativeIoException;
import io.blockhaus.engine.store.Pipe;
import io.blockhaus.nbd.codec.NbdCommand;
import io.blockhaus.nbd.codec.NbdCommandFlags;
import io.blockhaus.nbd.codec.NbdError;
import io.blockhaus.nbd.codec.NbdReplyChunk;
import io.blockhaus.nbd.codec.NbdRequest;
import io.blockhaus.nbd.codec.NbdSimpleFileReply;
import io.blockhaus.nbd.codec.NbdSimpleReply;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs one validated request against the connection's engine handle and builds its reply
 * messages. Runs on a worker thread (engine operations block on locks and disk); everything it
 * returns is written by the event loop. Each NBD command maps to the one engine operation
 * DESIGN.md names for it.
 */
final class NbdCommandRunner {
    /** Reads this large look for holes first, so a sparse image travels as hole chunks. */
    static final int SPARSE_READ_THRESHOLD = 64 * 1024;
    /**
     * Direct reads this large are sent from the file (sendfile) rather than copied: +11 % at
     * 64 KiB random, +30 % at 1 MiB (docs/benchmarks.md). Smaller ones are not measured and
     * carry a NONE chunk per reply when sent so; WriteSplicer uses the same bound for direct WRITEs.
     */
    static final int DIRECT_FROM_FILE_BYTES = 64 * 1024;
    /** Extents in one BLOCK_STATUS reply; clients ask again for the rest. */
    static final int MAX_EXTENTS = 1024;
    private static final int STATE_HOLE_ZERO = 3; // NBD_STATE_HOLE | NBD_STATE_ZERO
    private static final int STATE_ZERO = 2;      // allocated, reads as zeroes

    private final NbdSession session;
    private final Handle handle;
    private final ByteBufAllocator alloc;
    private final SpliceCounters splices;

    NbdCommandRunner(NbdSession session, Handle handle, ByteBufAllocator alloc, SpliceCounters splices) {
        this.session = session;
        this.handle = handle;
        this.alloc = alloc;
        this.splices = splices;
    }

    /** The reply messages for {@code r}; {@code payload} (a WRITE's data) is released here. */
    List<Object> run(NbdRequest r, ByteBuf payload) {
        try {
            NbdCommand c = r.command();
            if (c.equals(NbdCommand.READ)) {
                return read(r);
            }
            if (c.equals(NbdCommand.BLOCK_STATUS)) {
                return blockStatus(r);
            }
            if (c.equals(NbdCommand.WRITE)) {
                write(r, payload);
            } else if (c.equals(NbdCommand.FLUSH)) {
                handle.flush();
            } else if (c.equals(NbdCommand.TRIM)) {
                zero(r, FallocateMode.PUNCH_HOLE);
            } else if (c.equals(NbdCommand.WRITE_ZEROES)) {
                boolean keep = r.flags().has(NbdCommandFlags.NO_HOLE);
                if (r.flags().has(NbdCommandFlags.FAST_ZERO) && !handle.zeroesFast(keep)) {
                    return error(r, NbdError.ENOTSUP, "zeroing would not be fast on this store");
                }
                zero(r, keep ? FallocateMode.ZERO_RANGE : FallocateMode.PUNCH_HOLE);
            } else if (c.equals(NbdCommand.CACHE)) {
                handle.fadvise(Advice.WILLNEED, r.offset(), r.length());
            } else {
                return error(r, NbdError.EINVAL, "unsupported command " + c);
            }
            return ok(r);
        } catch (RuntimeException e) {
            return failure(r, e);
        } finally {
            if (payload != null) {
                payload.release();
            }
        }
    }

    /**
     * A WRITE whose payload is {@code pipe}'s bytes followed by {@code rest} (null when the pipe
     * holds all of it): spliced on into the store when the engine can, otherwise copied out of
     * the pipe and written as any other payload. Releases {@code rest}; the pipe is the caller's
     * to take back (it is empty unless the write failed).
     */
    List<Object> runSpliced(NbdRequest r, Pipe pipe, ByteBuf rest) {
        try {
            if (rest == null && handle.writeFromPipe(r.offset(), pipe, pipe.buffered(), direct(),
                    r.flags().has(NbdCommandFlags.FUA))) {
                splices.spliced();
                return ok(r);
            }
        } catch (RuntimeException e) {
            return failure(r, e);
        }
        splices.copied();
        ByteBuf payload;
        try {
            payload = drain(pipe, rest);
        } catch (NativeIoException e) {
            if (rest != null) {
                rest.release();
            }
            return failure(r, e.toErrnoException("read WRITE payload from its pipe"));
        }
        return run(r, payload);
    }

    private ByteBuf drain(Pipe pipe, ByteBuf rest) throws NativeIoException {
        int n = (int) pipe.buffered();
        ByteBuf head = alloc.directBuffer(n, n);
        try {
            pipe.drainTo(head.nioBuffer(0, n));
        } catch (NativeIoException | RuntimeException e) {
            head.release();
            throw e;
        }
        head.writerIndex(n);
        return rest == null ? head : alloc.compositeDirectBuffer(2).addComponents(true, head, rest);
    }

    private List<Object> failure(NbdRequest r, RuntimeException e) {
        if (e instanceof ErrnoException errno) {
            return error(r, NbdErrors.of(errno.errno()), errno.getMessage());
        }
        System.getLogger(NbdCommandRunner.class.getName()).log(System.Logger.Level.ERROR,
                "NBD " + r.command() + " failed unexpectedly", e);
        return error(r, NbdError.EIO, "internal error");
    }

    /**
     * A READ answered on the calling thread (the event loop) when the engine can do it without
     * waiting: cached pages, plus a few absent ones whose bytes the kernel holds in memory; null
     * when it must go to a worker. Only reads answered with one data
     * chunk qualify (a sparse structured read asks the store for holes first).
     */
    List<Object> readInline(NbdRequest r) {
        int len = (int) r.length();
        boolean oneChunk = !session.structuredReplies() || r.flags().has(NbdCommandFlags.DF)
                || len < SPARSE_READ_THRESHOLD;
        if (direct() || !oneChunk || len == 0) {
            return null;
        }
        ByteBuf buf = alloc.directBuffer(len, len);
        if (!handle.readWithoutWaiting(r.offset(), buf.nioBuffer(0, len))) {
            buf.release();
            return null;
        }
        buf.writerIndex(len);
        return List.of(session.structuredReplies()
                ? new NbdReplyChunk.OffsetData(r.cookie(), r.offset(), true, r.offset(), buf)
                : NbdSimpleReply.read(r.cookie(), buf));
    }

    /**
     * A WRITE (without FUA) done in the page cache on the calling thread when every page it
     * touches is cached and free; null when it must go to a worker. Releases the payload only
     * when it succeeded.
     */
    List<Object> writeInline(NbdRequest r, ByteBuf payload) {
        if (direct() || r.flags().has(NbdCommandFlags.FUA) || payload.nioBufferCount() != 1) {
            return null; // a payload in pieces takes the gather path on a worker
        }
        if (!handle.writeIfCached(r.offset(), payload.nioBuffer(payload.readerIndex(), payload.readableBytes()))) {
            return null;
        }
        payload.release();
        return ok(r);
    }

    private boolean direct() {
        return session.volume().config().io() == IoMode.DIRECT;
    }

    private void write(NbdRequest r, ByteBuf payload) {
        boolean fua = r.flags().has(NbdCommandFlags.FUA);
        var src = payload.nioBuffers(payload.readerIndex(), payload.readableBytes());
        if (direct()) {
            handle.writeDirect(r.offset(), src, fua);
        } else {
            handle.write(r.offset(), src, fua);
        }
    }

    private void zero(NbdRequest r, FallocateMode mode) {
        if (r.length() == 0) {
            return;
        }
        handle.fallocate(mode, r.offset(), r.length());
        if (r.flags().has(NbdCommandFlags.FUA)) {
            handle.flush(r.offset(), r.length());
        }
    }

    private ByteBuf readData(long offset, int length) {
        ByteBuf buf = alloc.directBuffer(length, length);
        try {
            var dst = buf.nioBuffer(0, length);
            if (direct()) {
                handle.readDirect(offset, dst);
            } else {
                handle.read(offset, dst);
            }
            return buf.writerIndex(length);
        } catch (RuntimeException e) {
            buf.release();
            throw e;
        }
    }

    private List<Object> read(NbdRequest r) {
        int len = (int) r.length();
        if (!session.structuredReplies()) {
            StoreFileRegion region = fromFile(r.offset(), len);
            return List.of(region != null
                    ? new NbdSimpleFileReply(r.cookie(), region)
                    : NbdSimpleReply.read(r.cookie(), readData(r.offset(), len)));
        }
        boolean sparse = !r.flags().has(NbdCommandFlags.DF) && len >= SPARSE_READ_THRESHOLD;
        if (!sparse) {
            Object chunk = dataChunk(r, true, r.offset(), len);
            return chunk instanceof NbdReplyChunk.OffsetDataFile
                    ? List.of(chunk, new NbdReplyChunk.None(r.cookie(), r.offset()))
                    : List.of(chunk);
        }
        List<Extent> extents = handle.blockStatus(r.offset(), len, 64);
        List<Object> chunks = new ArrayList<>(extents.size() + 1);
        long pos = r.offset();
        long end = r.offset() + len;
        try {
            for (Extent e : extents) {
                chunks.add(e.zero() // holes and allocated zeroes both read as zeroes
                        ? new NbdReplyChunk.OffsetHole(r.cookie(), r.offset(), false, e.offset(), (int) e.length())
                        : dataChunk(r, false, e.offset(), (int) e.length()));
                pos = e.end();
            }
            if (pos < end) {
                chunks.add(dataChunk(r, false, pos, (int) (end - pos)));
            }
        } catch (RuntimeException e) {
            chunks.forEach(io.netty.util.ReferenceCountUtil::release);
            throw e;
        }
        chunks.add(new NbdReplyChunk.None(r.cookie(), r.offset()));
        return chunks;
    }

    /**
     * A structured data chunk for {@code [offset, offset+length)}: from the file where it can be,
     * else copied. A chunk from the file is never the final one, whatever {@code done} says (the
     * caller then sends NONE after it): the kernel reads its bytes while sending, so an error can
     * still come up during its transmission, and the specification forbids marking such a chunk
     * final.
     */
    private Object dataChunk(NbdRequest r, boolean done, long offset, int length) {
        StoreFileRegion region = fromFile(offset, length);
        if (region != null) {
            return new NbdReplyChunk.OffsetDataFile(r.cookie(), r.offset(), false, offset, region);
        }
        return new NbdReplyChunk.OffsetData(r.cookie(), r.offset(), done, offset, readData(offset, length));
    }

    /**
     * The read of {@code [offset, offset+length)} as a range of the file, sent with sendfile(2),
     * where the engine gives one (buffered: a stream over nothing dirty, see
     * {@link Handle#readAsFileRange}; direct: any read of at least {@link #DIRECT_FROM_FILE_BYTES},
     * see {@link Handle#readDirectAsFileRange}); null otherwise (then the caller copies). NBD lets
     * requests in flight complete in any order, which is what makes a read done at send time sound.
     */
    private StoreFileRegion fromFile(long offset, int length) {
        FileRange range = !direct() ? handle.readAsFileRange(offset, length)
                : length >= DIRECT_FROM_FILE_BYTES ? handle.readDirectAsFileRange(offset, length) : null;
        if (range == null) {
            return null;
        }
        splices.sentFromFile();
        return new StoreFileRegion(range);
    }

    private List<Object> blockStatus(NbdRequest r) {
        long size = session.volume().size();
        long len = Math.min(r.length(), size - r.offset());
        int max = r.flags().has(NbdCommandFlags.REQ_ONE) ? 1 : MAX_EXTENTS;
        // Compact replies carry 32-bit lengths: never describe more than 4 GiB - 1 at once.
        if (!session.extendedHeaders()) {
            len = Math.min(len, 0xFFFF_F000L);
        }
        List<NbdReplyChunk.Extent> out = new ArrayList<>();
        if (len <= 0) {
            out.add(new NbdReplyChunk.Extent(Math.max(1, r.length()), STATE_HOLE_ZERO));
        } else {
            for (Extent e : handle.blockStatus(r.offset(), len, max)) {
                out.add(new NbdReplyChunk.Extent(e.length(), e.hole() ? STATE_HOLE_ZERO : e.zero() ? STATE_ZERO : 0));
            }
        }
        return List.of(new NbdReplyChunk.BlockStatus(r.cookie(), r.offset(), true,
                NbdSession.ALLOCATION_CONTEXT_ID, out));
    }

    private List<Object> ok(NbdRequest r) {
        if (session.extendedHeaders()) {
            return List.of(new NbdReplyChunk.None(r.cookie(), r.offset()));
        }
        return List.of(NbdSimpleReply.of(NbdError.OK, r.cookie()));
    }

    List<Object> error(NbdRequest r, NbdError error, String message) {
        boolean chunked = session.extendedHeaders()
                || (session.structuredReplies()
                    && (r.command().equals(NbdCommand.READ) || r.command().equals(NbdCommand.BLOCK_STATUS)));
        if (chunked) {
            return List.of(new NbdReplyChunk.Error(r.cookie(), r.offset(), true, error, clip(message)));
        }
        return List.of(NbdSimpleReply.of(error, r.cookie()));
    }

    /** Error messages are for people; keep them short enough for any client's buffer. */
    private static String clip(String m) {
        return m == null ? "" : m.length() > 200 ? m.substring(0, 200) : m;
    }
}
