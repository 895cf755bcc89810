package io.blockhaus.nbd;

import io.blockhaus.engine.Advice;
import io.blockhaus.engine.Allocation;
import io.blockhaus.engine.FallocateMode;
import io.blockhaus.engine.Handle;
import io.blockhaus.engine.IoMode;
import io.blockhaus.engine.PayloadPipe;
import io.blockhaus.engine.errno.ErrnoException;
import io.blockhaus.nbd.codec.NbdCommand;
import io.blockhaus.nbd.codec.NbdCommandFlags;
import io.blockhaus.nbd.codec.NbdError;
import io.blockhaus.nbd.codec.NbdReplyChunk;
import io.blockhaus.nbd.codec.NbdRequest;
import io.blockhaus.nbd.codec.NbdSimpleReply;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs one validated request against the connection's engine handle and builds its reply
 * messages. Runs on a worker thread (engine operations block on locks and disk), except
 * {@link #writeInline}; everything it returns is written by the event loop. Each NBD command maps
 * to the one engine operation DESIGN.md names for it; READs are {@link ReadReplies}'s. Engine
 * failures become NBD errors here, in one place (nbdkit's nbd_errno).
 */
final class NbdCommandRunner {
    /** Extents in one BLOCK_STATUS reply; clients ask again for the rest. */
    static final int MAX_EXTENTS = 1024;
    private static final int STATE_HOLE_ZERO = 3; // NBD_STATE_HOLE | NBD_STATE_ZERO
    private static final int STATE_ZERO = 2;      // allocated, reads as zeroes

    private final NbdSession session;
    private final Handle handle;
    private final ByteBufAllocator alloc;
    private final SpliceCounters splices;
    private final ReadReplies reads;

    NbdCommandRunner(NbdSession session, Handle handle, ByteBufAllocator alloc, SpliceCounters splices,
            ReadReplies reads) {
        this.session = session;
        this.handle = handle;
        this.alloc = alloc;
        this.splices = splices;
        this.reads = reads;
    }

    /** The reply messages for {@code r}; {@code payload} (a WRITE's data) is released here. */
    List<Object> run(NbdRequest r, ByteBuf payload) {
        try {
            NbdCommand c = r.command();
            if (c.equals(NbdCommand.READ)) {
                return reads.read(r);
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
                if (r.flags().has(NbdCommandFlags.FAST_ZERO) && !handle.fastPaths().zeroesFast(keep)) {
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
     * holds all of it): the pipe's part spliced on into the store (and the rest written after it)
     * when the engine can, otherwise copied out of the pipe and written as any other payload.
     * Releases {@code rest}; the pipe is the caller's to take back (it is empty unless the write
     * failed).
     */
    List<Object> runSpliced(NbdRequest r, PayloadPipe pipe, ByteBuf rest) {
        boolean fua = r.flags().has(NbdCommandFlags.FUA);
        try {
            if (rest == null ? handle.fastPaths().writeFromPipe(r.offset(), pipe, pipe.buffered(), direct(), fua)
                    : handle.fastPaths().writeFromPipe(r.offset(), pipe, rest.nioBuffers(), direct(), fua)) {
                splices.spliced();
                if (rest != null) {
                    rest.release();
                }
                return ok(r);
            }
        } catch (RuntimeException e) {
            if (rest != null) {
                rest.release();
            }
            return failure(r, e);
        }
        splices.copied();
        ByteBuf payload;
        try {
            payload = drain(pipe, rest);
        } catch (RuntimeException e) {
            if (rest != null) {
                rest.release();
            }
            return failure(r, e);
        }
        return run(r, payload);
    }

    private ByteBuf drain(PayloadPipe pipe, ByteBuf rest) {
        int n = (int) pipe.buffered();
        ByteBuf head = alloc.directBuffer(n, n);
        try {
            pipe.drainTo(head.nioBuffer(0, n));
        } catch (RuntimeException e) {
            head.release();
            throw e;
        }
        head.writerIndex(n);
        return rest == null ? head : alloc.compositeDirectBuffer(2).addComponents(true, head, rest);
    }

    /** The reply to a request the engine failed: its errno, or EIO (logged) for anything else. */
    List<Object> failure(NbdRequest r, RuntimeException e) {
        if (e instanceof ErrnoException errno) {
            return error(r, NbdErrors.of(errno.errno()), errno.getMessage());
        }
        System.getLogger(NbdCommandRunner.class.getName()).log(System.Logger.Level.ERROR,
                "NBD " + r.command() + " failed unexpectedly", e);
        return error(r, NbdError.EIO, "internal error");
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
        if (!handle.fastPaths().writeIfCached(r.offset(), payload.nioBuffer(payload.readerIndex(), payload.readableBytes()))) {
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
            for (Allocation a : handle.blockStatus(r.offset(), len, max)) {
                out.add(new NbdReplyChunk.Extent(a.length(), a.hole() ? STATE_HOLE_ZERO : a.zero() ? STATE_ZERO : 0));
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
