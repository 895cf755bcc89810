package io.blockhaus.nbd;

import io.blockhaus.engine.Handle;
import io.blockhaus.engine.store.Pipe;
import io.blockhaus.nbd.codec.NbdCommand;
import io.blockhaus.nbd.codec.NbdDecoderException;
import io.blockhaus.nbd.codec.NbdError;
import io.blockhaus.nbd.codec.NbdFileRegionHolder;
import io.blockhaus.nbd.codec.NbdLimits;
import io.blockhaus.nbd.codec.NbdPayloadChunk;
import io.blockhaus.nbd.codec.NbdRequest;
import io.blockhaus.nbd.codec.NbdTransmissionCodec;
import io.blockhaus.nbd.codec.NbdTransmissionDecoder;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.unix.Errors;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The transmission phase of one connection: requests in, engine operations on worker threads,
 * replies out as each completes (out of order, as NBD allows).
 *
 * <h2>Flow control</h2>
 * Auto-read is off. Decoded messages wait in {@code pending} (at most one socket read's worth,
 * because nothing more is read while it is not empty) and are started in order while the
 * connection is under both bounds: requests in flight and payload bytes in flight (a READ's
 * length counts from start to reply, a WRITE's from its header). Once a WRITE header is started
 * its payload chunks are always accepted, since their bytes are already counted. The socket is
 * read again only when {@code pending} is empty and there is room, so a client that pipelines
 * without limit only fills its own TCP window.
 *
 * <p>Replies count too: a reply leaves the in-flight bounds when it is queued on the channel, not
 * when the client has read it, so a client that sends READs and never reads the answers would
 * otherwise have the server queue replies without end. While the channel is over its write
 * buffer's high mark no request is started and the socket is not read (a WRITE whose payload is
 * arriving still gets its payload: its bytes are counted and its reply is small); the
 * connection resumes when the client has read the queue down to the low mark. Everything here
 * runs on the event loop; the only blocking work is on the workers.
 *
 * <h2>Spliced WRITEs</h2>
 * While the client sends large aligned WRITEs, the socket is read one request header at a time
 * ({@link HeaderSizedReads}) so that each payload is still in the socket when its header is
 * started; {@link WriteSplicer} then moves it into a pipe, the decoder is told those bytes are
 * taken, and the worker has the engine splice the pipe into the file. A payload only partly
 * arrived continues through the decoder as usual and the worker joins the two parts.
 */
final class NbdTransmissionHandler extends ChannelInboundHandlerAdapter {
    static final String NAME = "nbd-transmission";

    private final NbdSession session;
    private final NbdServerConfig config;
    private final ExecutorService workers;
    private final ConnectionGauges gauges;
    private final PayloadBudget budget;
    private final SpliceCounters splices;
    private final ArrayDeque<Object> pending = new ArrayDeque<>();
    private Handle handle;
    private NbdCommandRunner runner;
    private int inflight;
    private long inflightBytes;
    private NbdRequest writing;      // WRITE whose payload is arriving
    private WritePayload writeBuffer;
    private Pipe writePipe;          // the part of writing's payload spliced out of the socket, if any
    private WriteSplicer splicer;    // null where splicing cannot work
    private HeaderSizedReads reads;  // null when the channel was not set up with one
    private NbdTransmissionDecoder decoder;
    private boolean streamingWrites; // the last request was a WRITE worth splicing: read headers alone
    private boolean discarding;      // skipping the payload of a refused WRITE
    private List<Object> refusalReply;   // its error reply, sent once the payload has been read
    private boolean disconnecting;
    private boolean closed;
    private boolean waitingForClient; // counted in gauges while true
    private boolean waitingForBudget; // registered with the budget and counted in gauges while true
    private long payloadChunks;         // WRITE payload chunks received, ever: progress for the stall check
    private ScheduledFuture<?> stallCheck;

    NbdTransmissionHandler(NbdSession session, NbdServerConfig config, ServerResources shared) {
        this.session = session;
        this.config = config;
        this.workers = shared.workers();
        this.gauges = shared.gauges();
        this.budget = shared.payloadBudget();
        this.splices = shared.splices();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        handle = session.volume().open();
        runner = new NbdCommandRunner(session, handle, ctx.alloc(), splices);
        if (ctx.channel().config().getRecvByteBufAllocator() instanceof HeaderSizedReads r) {
            reads = r;
            splicer = WriteSplicer.forConnection(ctx.channel(), session.volume(),
                    Math.min(config.maxInflightRequests(), MAX_PIPES), config.spliceWrites());
        }
        ctx.read();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (closed || disconnecting) {
            ReferenceCountUtil.release(msg);
            return;
        }
        pending.add(msg);
        drain(ctx);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (writing != null && stallCheck == null && !closed) {
            // Armed only when a payload outlives the read that brought its header: most small
            // WRITEs arrive whole, and a timer per WRITE would cost on the hot path.
            watchPayload(ctx);
        }
        maybeRead(ctx);
    }

    private void drain(ChannelHandlerContext ctx) {
        while (!pending.isEmpty() && !closed) {
            Object msg = pending.peek();
            if (msg instanceof NbdPayloadChunk chunk) {
                pending.poll();
                onChunk(ctx, chunk);
            } else if (msg instanceof NbdRequest r) {
                if (!hasRoom(ctx)) {
                    return;
                }
                long take = budgeted(r);
                if (take > 0 && !budget.tryTake(take)) {
                    awaitBudget(ctx, take);
                    return;
                }
                pending.poll();
                if (!onRequest(ctx, r) && take > 0) {
                    budget.give(take); // refused or not a transfer after all: it never began
                }
            } else {
                pending.poll();
                ReferenceCountUtil.release(msg);
                close(ctx);
            }
        }
    }

    /** What {@code r} takes from the server-wide budget while in flight (what {@link #finish} gives back). */
    private long budgeted(NbdRequest r) {
        return r.decoderResult().isSuccess() ? Math.min(payloadBytes(r), config.maxPayload()) : 0;
    }

    private void awaitBudget(ChannelHandlerContext ctx, long bytes) {
        if (waitingForBudget) {
            return;
        }
        waitingForBudget = true;
        gauges.waitingForBudget(true);
        budget.await(bytes, () -> resumeOnLoop(ctx));
    }

    /** Runs on whichever thread gave budget back: hop to this connection's event loop. */
    private void resumeOnLoop(ChannelHandlerContext ctx) {
        try {
            ctx.executor().execute(() -> {
                if (!waitingForBudget) {
                    return; // closed meanwhile
                }
                waitingForBudget = false;
                gauges.waitingForBudget(false);
                drain(ctx);
                maybeRead(ctx);
            });
        } catch (RejectedExecutionException e) {
            // The event loop is shutting down: the connection is closing and wants nothing more.
        }
    }

    private boolean hasRoom(ChannelHandlerContext ctx) {
        if (!ctx.channel().isWritable()) {
            setWaitingForClient(true);
            return false;
        }
        return writing == null && inflight < config.maxInflightRequests() && inflightBytes < config.maxInflightBytes();
    }

    private void maybeRead(ChannelHandlerContext ctx) {
        if (!closed && !disconnecting && pending.isEmpty()
                && (writing != null || discarding || hasRoom(ctx)) && ctx.channel().isActive()) {
            if (reads != null) {
                reads.limitNextReads(nextReadSize());
            }
            ctx.read();
        }
    }

    /** The transmission decoder; looked up on first use, since the codec is switched in after this handler. */
    private NbdTransmissionDecoder decoder(ChannelHandlerContext ctx) {
        if (decoder == null) {
            decoder = ctx.pipeline().get(NbdTransmissionCodec.class).decoder();
        }
        return decoder;
    }

    /**
     * Adaptive reads, except in a stream of WRITEs worth splicing: then one header between
     * requests, so the next payload is still in the socket, and for the rest of a payload only
     * partly spliced exactly that rest, so the read does not swallow the next request too.
     */
    private int nextReadSize() {
        if (!streamingWrites || discarding) {
            return 0;
        }
        if (writing == null) {
            return headerLength();
        }
        return writePipe == null ? 0 : (int) Math.min(writeBuffer.remaining(), MAX_EXACT_READ);
    }

    private int headerLength() {
        return session.extendedHeaders() ? NbdLimits.EXTENDED_REQUEST_HEADER_LENGTH : NbdLimits.REQUEST_HEADER_LENGTH;
    }

    private void setWaitingForClient(boolean waiting) {
        if (waitingForClient != waiting) {
            waitingForClient = waiting;
            gauges.waitingForClient(waiting);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable() && !closed) {
            setWaitingForClient(false);
            drain(ctx);
            maybeRead(ctx);
        }
        ctx.fireChannelWritabilityChanged();
    }

    /** Starts, refuses or acts on {@code r}; true if it began (is counted in flight until {@link #finish}). */
    private boolean onRequest(ChannelHandlerContext ctx, NbdRequest r) {
        if (!r.decoderResult().isSuccess()) {
            NbdDecoderException.Reason reason = NbdDecoderException.reasonOf(r.decoderResult());
            if (reason == null || !reason.recoverable()) {
                close(ctx); // wrong magic or an absurd length: the stream cannot be trusted
                return false;
            }
            // Too large a WRITE: the decoder skips its payload and then sends an empty last chunk;
            // the answer waits for it, as for any refused WRITE (EINVAL: the spec keeps
            // EOVERFLOW for reads).
            discarding = true;
            refusalReply = runner.error(r, NbdError.EINVAL,
                    "request payload of " + r.length() + " bytes is over the " + config.maxPayload() + " byte limit");
            return false;
        }
        if (r.command().equals(NbdCommand.DISC)) {
            disconnecting = true;
            pending.forEach(ReferenceCountUtil::release);
            pending.clear();
            if (inflight == 0) {
                close(ctx);
            }
            return false;
        }
        NbdError refusal = NbdRequestValidator.check(r, session, config.maxPayload(), session.volume().size());
        if (refusal != null) {
            List<Object> error = runner.error(r, refusal, "request refused: " + refusal.name());
            if (r.hasPayload()) {
                // Answer only after the payload: a client still sending it (libnbd) has not yet
                // put the request in flight and drops a connection that replies to it early.
                discarding = true;
                refusalReply = error;
            } else {
                reply(ctx, error);
            }
            return false;
        }
        if (r.hasPayload()) {
            begin(r);
            streamingWrites = splicer != null && splicer.wants(r);
            Pipe pipe = streamingWrites && decoder(ctx).payloadUnread(r) ? splicer.fill(r.length()) : null;
            long piped = pipe == null ? 0 : pipe.buffered();
            if (piped > 0) {
                decoder(ctx).payloadTaken(piped);
            } else if (pipe != null) {
                splicer.release(pipe); // nothing had arrived: the payload comes the usual way
                pipe = null;
            }
            if (pipe != null && piped == r.length()) {
                submit(ctx, r, null, pipe); // all of it spliced: no payload chunk will come
                return true;
            }
            if (pipe != null) {
                splices.partly();
            }
            writing = r;
            writePipe = pipe;
            writeBuffer = new WritePayload(ctx.alloc(), r.length() - piped);
            return true;
        }
        streamingWrites = false;
        begin(r);
        if (r.command().equals(NbdCommand.READ)) {
            List<Object> cached = runner.readInline(r);
            if (cached != null) {
                // A cache hit costs no thread hop. We are inside drain(): account and reply only;
                // the loop goes on, and channelReadComplete asks for more input.
                finish(r);
                reply(ctx, cached);
                return true;
            }
        }
        submit(ctx, r, null, null);
        return true;
    }

    private void onChunk(ChannelHandlerContext ctx, NbdPayloadChunk chunk) {
        try {
            if (writing == null) {
                if (chunk.last()) {
                    discarding = false;
                    if (refusalReply != null) {
                        List<Object> error = refusalReply;
                        refusalReply = null;
                        reply(ctx, error);
                    }
                }
                return; // payload of a refused WRITE
            }
            writeBuffer.add(chunk.content());
            payloadChunks++;
            if (chunk.last()) {
                NbdRequest r = writing;
                ByteBuf payload = writeBuffer.finish();
                Pipe pipe = writePipe;
                writing = null;
                writeBuffer = null;
                writePipe = null;
                stopWatchingPayload();
                List<Object> done = pipe == null ? runner.writeInline(r, payload) : null;
                if (done != null) {
                    finish(r); // inside drain(), as for cached reads
                    reply(ctx, done);
                } else {
                    submit(ctx, r, payload, pipe);
                }
            }
        } finally {
            chunk.release();
        }
    }

    /**
     * Closes the connection if the WRITE being received gets no payload byte for the stall
     * timeout: it holds its length of the server-wide budget until its payload is complete.
     */
    private void watchPayload(ChannelHandlerContext ctx) {
        long seen = payloadChunks;
        stallCheck = ctx.executor().schedule(() -> {
            stallCheck = null;
            if (writing == null || closed) {
                return;
            }
            if (payloadChunks == seen) {
                System.getLogger(NbdTransmissionHandler.class.getName()).log(System.Logger.Level.INFO,
                        "closing NBD connection " + ctx.channel().remoteAddress() + ": no WRITE payload for "
                                + config.payloadStallTimeout().toSeconds() + " s");
                close(ctx);
                return;
            }
            watchPayload(ctx);
        }, config.payloadStallTimeout().toNanos(), TimeUnit.NANOSECONDS);
    }

    private void stopWatchingPayload() {
        if (stallCheck != null) {
            stallCheck.cancel(false);
            stallCheck = null;
        }
    }

    private void begin(NbdRequest r) {
        inflight++;
        inflightBytes += payloadBytes(r);
    }

    /** Pipes one connection keeps at most (two descriptors each): enough for a client's queue of 1 MiB WRITEs. */
    private static final int MAX_PIPES = 16;
    /** Largest exact-size read for the rest of a partly spliced payload (a pipe holds at most 1 MiB). */
    private static final int MAX_EXACT_READ = WriteSplicer.PIPE_BYTES;

    private static long payloadBytes(NbdRequest r) {
        return r.command().equals(NbdCommand.READ) || r.command().equals(NbdCommand.WRITE) ? r.length() : 0;
    }

    /** Runs {@code r} on a worker; a WRITE's payload is {@code payload}, or {@code pipe}'s bytes followed by it. */
    private void submit(ChannelHandlerContext ctx, NbdRequest r, ByteBuf payload, Pipe pipe) {
        try {
            workers.execute(() -> {
                List<Object> replies = pipe == null ? runner.run(r, payload) : runner.runSpliced(r, pipe, payload);
                try {
                    ctx.executor().execute(() -> {
                        if (pipe != null) {
                            splicer.release(pipe);
                        }
                        complete(ctx, r, replies);
                    });
                } catch (RejectedExecutionException e) {
                    if (pipe != null) {
                        pipe.close(); // the event loop is gone, and the connection with it
                    }
                    replies.forEach(ReferenceCountUtil::release);
                }
            });
        } catch (RejectedExecutionException e) {
            if (payload != null) {
                payload.release();
            }
            if (pipe != null) {
                splicer.release(pipe);
            }
            complete(ctx, r, runner.error(r, NbdError.ESHUTDOWN, "server is shutting down"));
        }
    }

    private void finish(NbdRequest r) {
        inflight--;
        long bytes = payloadBytes(r);
        inflightBytes -= bytes;
        if (bytes > 0) {
            budget.give(bytes);
        }
    }

    private void complete(ChannelHandlerContext ctx, NbdRequest r, List<Object> replies) {
        finish(r);
        if (closed) {
            replies.forEach(ReferenceCountUtil::release);
            return;
        }
        reply(ctx, replies);
        if (disconnecting && inflight == 0) {
            close(ctx);
            return;
        }
        drain(ctx);
        maybeRead(ctx);
    }

    private void reply(ChannelHandlerContext ctx, List<Object> replies) {
        for (int i = 0; i < replies.size() - 1; i++) {
            Object msg = replies.get(i);
            if (msg instanceof NbdFileRegionHolder) {
                ctx.write(msg).addListener(FILE_SEND_FAILURE);
            } else {
                ctx.write(msg, ctx.voidPromise());
            }
        }
        Object last = replies.getLast();
        ctx.writeAndFlush(last).addListener(last instanceof NbdFileRegionHolder
                ? FILE_SEND_FAILURE : ChannelFutureListener.FIRE_EXCEPTION_ON_FAILURE);
    }

    /**
     * A reply sent from the file fails while being sent when the kernel cannot read the file (a
     * media error, a file shortened behind the server's back): its header is out, so the only
     * honest end is closing the connection, and an operator should hear of it, unlike a client
     * that went away (then the send fails too, with a reset or a broken pipe).
     */
    private static final ChannelFutureListener FILE_SEND_FAILURE = f -> {
        if (f.isSuccess()) {
            return;
        }
        Throwable cause = f.cause();
        if (cause instanceof java.nio.channels.ClosedChannelException && cause.getCause() != null) {
            cause = cause.getCause(); // Netty closed the channel on the send's error, then failed the write
        }
        if (!peerGone(cause)) {
            System.getLogger(NbdTransmissionHandler.class.getName()).log(System.Logger.Level.WARNING,
                    "closing NBD connection " + f.channel().remoteAddress()
                            + ": a READ reply could not be sent from the volume's file: " + cause);
        }
        f.channel().close();
    };

    private static boolean peerGone(Throwable cause) {
        return cause instanceof java.nio.channels.ClosedChannelException
                || cause instanceof Errors.NativeIoException e
                        && (e.expectedErr() == Errors.ERRNO_EPIPE_NEGATIVE || e.expectedErr() == Errors.ERRNO_ECONNRESET_NEGATIVE);
    }

    private void close(ChannelHandlerContext ctx) {
        if (!closed) {
            closed = true;
            ctx.close();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closed = true;
        setWaitingForClient(false);
        stopWatchingPayload();
        if (waitingForBudget) {
            waitingForBudget = false; // its registration stays with the budget and does nothing
            gauges.waitingForBudget(false);
        }
        pending.forEach(ReferenceCountUtil::release);
        pending.clear();
        if (writeBuffer != null) {
            writeBuffer.release();
            writeBuffer = null;
        }
        if (writePipe != null) {
            splicer.release(writePipe);
            writePipe = null;
        }
        if (splicer != null) {
            splicer.close();
        }
        if (writing != null) {
            finish(writing); // its payload never came: give back what it took from the server-wide budget
            writing = null;
        }
        if (handle != null) {
            handle.close();
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        System.getLogger(NbdTransmissionHandler.class.getName()).log(System.Logger.Level.DEBUG,
                "closing NBD connection " + ctx.channel().remoteAddress() + ": " + cause);
        close(ctx);
    }
}
