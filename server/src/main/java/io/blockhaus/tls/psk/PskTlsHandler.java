package io.blockhaus.tls.psk;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.UnsupportedMessageTypeException;
import io.netty.handler.ssl.SslCloseCompletionEvent;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.PromiseCombiner;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.tls.TlsServerProtocol;

/**
 * The server side of TLS-PSK in a Netty pipeline: ciphertext from the socket in, plaintext
 * {@link ByteBuf}s up; plaintext {@code ByteBuf}s from above in, ciphertext to the socket. It
 * drives Bouncy Castle's {@link TlsServerProtocol} in its non-blocking mode, which never touches
 * a socket: {@code offerInput} takes whatever bytes arrived, {@code readOutput} hands back the
 * records to send, {@code readInput} the application data decrypted so far.
 *
 * <h2>Invariants</h2>
 * <ul>
 *   <li><b>Partial reads.</b> Bytes are offered as they come, in any split; the engine keeps an
 *       incomplete record until the rest arrives. Nothing here parses records.</li>
 *   <li><b>Bounded buffers.</b> Input is offered at most {@link #CHUNK} bytes at a time and the
 *       plaintext it yields is passed on before the next chunk, so the engine holds at most one
 *       chunk plus one partial record. Output is taken after every handshake step and, while
 *       encrypting, at least every {@link #OUTPUT_BATCH} bytes, so one large write becomes
 *       several socket writes rather than one ciphertext copy of its whole size.</li>
 *   <li><b>Writes before the handshake ends</b> are queued, in order, and encrypted when it
 *       does; they fail with the handshake if it fails, or when the channel closes.</li>
 *   <li><b>Handshake deadline.</b> A client that starts TLS but does not finish within
 *       {@link #HANDSHAKE_TIMEOUT_MILLIS} (silent, or trickling bytes) fails the handshake and is
 *       closed, as {@code SslHandler} does with its own timeout.</li>
 *   <li><b>Identity.</b> {@link #identity()} is null until the handshake has completed: only the
 *       client's verified Finished proves it holds the key of the identity it named.</li>
 *   <li><b>Closing.</b> A close from above sends close_notify before the TCP close. A
 *       close_notify from the peer is answered by the engine with ours, fires
 *       {@link SslCloseCompletionEvent#SUCCESS} and closes the channel. A fatal error sends the
 *       engine's alert, then closes: during the handshake it fails {@link #handshakeFuture()} and
 *       fires a failed {@link SslHandshakeCompletionEvent}; after it, it also fires
 *       {@code exceptionCaught}.</li>
 * </ul>
 * The same user events as Netty's {@code SslHandler} fire, so a pipeline that waits for one can
 * take either handler.
 *
 * <h2>Threads: the handshake's steps run off the event loop</h2>
 * A handshake step (offering the client's hello, or its Finished, to the engine) does the key
 * exchange: an X25519 or finite-field Diffie-Hellman agreement and the key schedule, up to
 * milliseconds of CPU that every other connection of the loop would wait behind. With a
 * {@code handshakeTasks} executor (the server's {@link io.blockhaus.tls.HandshakePool}), each
 * handshake chunk is offered there instead, one at a time:
 * <ul>
 *   <li><b>One owner at a time.</b> While a step runs ({@link #offloaded} non-null) the engine
 *       belongs to the step's thread; the loop touches nothing of it. Whatever the loop must do
 *       meanwhile waits: input that still arrives is held in order
 *       ({@link ReadPause}), the handshake deadline's failure is kept
 *       ({@link #failureDuringStep}) and acted on when the step is back, writes from above queue
 *       as before the handshake's end anyway, and a close from above touches only the channel.
 *       The hand-over both ways goes through an executor's queue, which orders the engine's state
 *       between the two threads.</li>
 *   <li><b>No reading while a step runs</b> ({@link ReadPause}): a client cannot make the server
 *       buffer its input behind a handshake.</li>
 *   <li><b>The same order of results.</b> When a step is back the loop does exactly what it does
 *       after an inline offer (output, completion, plaintext, close), then goes on with the rest
 *       of that input and the queued input, inline once the handshake is done, and ends with
 *       {@code channelReadComplete} as a socket read does: layers above flush and ask for more
 *       there.</li>
 * </ul>
 * Without an executor every step runs on the loop. After the handshake everything runs on the
 * channel's event loop (record encryption is per byte, not worth a hand-over): no lock is needed.
 */
public final class PskTlsHandler extends ChannelDuplexHandler {

    /** The most ciphertext offered to the engine at once (one maximal TLS record's payload). */
    static final int CHUNK = 16 * 1024;
    /** Encrypted output is handed to the socket once this much has accumulated. */
    static final int OUTPUT_BATCH = 64 * 1024;
    /** The same bound as the X.509 handler's. */
    static final long HANDSHAKE_TIMEOUT_MILLIS = 10_000;

    private final PskTlsServer server;
    private final long handshakeTimeoutMillis;
    /** Where handshake steps run; null: on the event loop. */
    private final Executor handshakeTasks;
    private final TlsServerProtocol protocol = new TlsServerProtocol();
    /** Copies out of direct buffers: the engine takes byte arrays (it copies what it keeps). */
    private final byte[] scratch = new byte[CHUNK];
    private final ArrayDeque<PendingWrite> pending = new ArrayDeque<>();
    private Promise<String> handshake;
    private boolean failed;
    /** The input whose chunk a handshake step is offering now; null while no step runs. */
    private ByteBuf offloaded;
    /** Reading stopped while a step runs, and the input that arrived anyway. */
    private final ReadPause pause = new ReadPause();
    /** A failure (the deadline) that came while a step ran: acted on when it is back. */
    private Throwable failureDuringStep;
    private boolean removed;

    private record PendingWrite(ByteBuf buf, ChannelPromise promise) { }

    PskTlsHandler(PskTlsServer server, long handshakeTimeoutMillis, Executor handshakeTasks) {
        this.server = server;
        this.handshakeTimeoutMillis = handshakeTimeoutMillis;
        this.handshakeTasks = handshakeTasks;
    }

    /** Completes with the client's PSK identity when the handshake succeeds; fails with it. */
    public Future<String> handshakeFuture() {
        return handshake;
    }

    /** The identity the client proved it holds the key for; null before the handshake ends. */
    public String identity() {
        return server.handshakeComplete() ? server.identity() : null;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        handshake = ctx.executor().newPromise();
        var deadline = ctx.executor().schedule(() -> {
            if (!handshake.isDone()) {
                var late = new SslHandshakeTimeoutException(
                        "TLS-PSK handshake not done in " + handshakeTimeoutMillis + " ms");
                if (offloaded != null) {
                    failureDuringStep = late;   // the engine is the step's until it is back
                } else {
                    fail(ctx, late);
                }
            }
        }, handshakeTimeoutMillis, TimeUnit.MILLISECONDS);
        handshake.addListener(f -> deadline.cancel(false));
        try {
            protocol.accept(server);   // non-blocking: only arms the engine for a ClientHello
        } catch (IOException e) {
            fail(ctx, e);
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        removed = true;
        failPending(new ClosedChannelException());
        pause.releaseHeld();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf in)) {
            ctx.fireChannelRead(msg);
        } else if (offloaded != null) {
            pause.hold(in);
        } else {
            consume(ctx, in);
        }
    }

    /**
     * Offers {@code in} chunk by chunk, each followed by its results; releases it when done, or
     * hands it to a handshake step, which owns it until it is back ({@link #stepDone}).
     */
    private void consume(ChannelHandlerContext ctx, ByteBuf in) {
        try {
            while (in.isReadable() && !failed && !protocol.isClosed()) {
                if (handshakeTasks != null && !handshake.isDone()) {
                    offload(ctx, in);
                    return;
                }
                offerChunk(in);
                afterInput(ctx);
            }
        } catch (IOException e) {
            fail(ctx, e);
        }
        in.release();
    }

    /** Offers the engine the next chunk of {@code in}: the handshake's CPU is spent in here. */
    private void offerChunk(ByteBuf in) throws IOException {
        int n = Math.min(in.readableBytes(), CHUNK);
        if (in.hasArray()) {
            protocol.offerInput(in.array(), in.arrayOffset() + in.readerIndex(), n);
        } else {
            in.getBytes(in.readerIndex(), scratch, 0, n);
            protocol.offerInput(scratch, 0, n);
        }
        in.skipBytes(n);
    }

    /** Runs the next chunk's offer on {@link #handshakeTasks}; reading stops until it is back. */
    private void offload(ChannelHandlerContext ctx, ByteBuf in) {
        offloaded = in;
        pause.pause(ctx);
        Runnable step = () -> {
            IOException error = null;
            try {
                offerChunk(in);
            } catch (IOException e) {
                error = e;
            } catch (RuntimeException e) {
                error = new IOException("TLS-PSK handshake step failed", e);
            }
            IOException result = error;
            try {
                ctx.executor().execute(() -> stepDone(ctx, result));
            } catch (RejectedExecutionException e) {
                in.release();   // the event loop is gone, and the channel with it
            }
        };
        try {
            handshakeTasks.execute(step);
        } catch (RejectedExecutionException e) {
            step.run();   // no thread for it: the loop does the step, as without a pool
        }
    }

    /** On the event loop: a step is back; its results, then the rest of the input, in order. */
    private void stepDone(ChannelHandlerContext ctx, IOException error) {
        ByteBuf in = offloaded;
        offloaded = null;
        if (removed || failed || !ctx.channel().isOpen()) {
            in.release();
            pause.releaseHeld();
            return;
        }
        try {
            if (error != null) {
                throw error;
            }
            afterInput(ctx);
        } catch (IOException e) {
            fail(ctx, e);
        }
        if (failureDuringStep != null && !handshake.isDone()) {
            fail(ctx, failureDuringStep);
        }
        consume(ctx, in);
        while (offloaded == null && pause.anyHeld()) {
            consume(ctx, pause.nextHeld());
        }
        if (offloaded == null) {
            pause.resume(ctx, !handshake.isDone());
        }
        // What a step yielded reached the layers above outside a socket read: end it as a read
        // ends, since layers above may flush or ask for more only then (FlushConsolidationHandler
        // holds an NBD reply until it; qemu's first option after the handshake waited 10 s).
        ctx.fireChannelReadComplete();
    }

    @Override
    public void read(ChannelHandlerContext ctx) {
        pause.ask(ctx);
    }

    /** One offer's results, in wire order: records to send, handshake end, plaintext, close. */
    private void afterInput(ChannelHandlerContext ctx) throws IOException {
        sendOutput(ctx);
        if (!handshake.isDone() && server.handshakeComplete()) {
            // Queued writes first: whatever the completion's listeners write must follow them.
            flushPending(ctx);
            handshake.trySuccess(server.identity());
            ctx.fireUserEventTriggered(SslHandshakeCompletionEvent.SUCCESS);
        }
        int available = protocol.getAvailableInputBytes();
        if (available > 0) {
            ByteBuf plain = ctx.alloc().buffer(available);
            protocol.readInput(plain.nioBuffer(plain.writerIndex(), available), available);
            plain.writerIndex(plain.writerIndex() + available);
            ctx.fireChannelRead(plain);
        }
        if (protocol.isClosed()) {
            // The peer's close_notify: the engine has queued ours in answer (sent above or now).
            sendOutput(ctx);
            failPending(new ClosedChannelException());
            if (!handshake.isDone()) {
                handshake.tryFailure(new ClosedChannelException());
            }
            ctx.fireUserEventTriggered(SslCloseCompletionEvent.SUCCESS);
            ctx.close();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        // A handshake needs the next flight even if the layer above has turned auto-read off.
        if (!handshake.isDone() && !pause.paused() && !ctx.channel().config().isAutoRead()) {
            ctx.read();
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        ClosedChannelException closed = new ClosedChannelException();
        failPending(closed);
        pause.releaseHeld();
        if (handshake.tryFailure(closed)) {
            ctx.fireUserEventTriggered(new SslHandshakeCompletionEvent(closed));
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!(msg instanceof ByteBuf buf)) {
            // A FileRegion cannot be encrypted in place: TLS callers must send buffers.
            ReferenceCountUtil.release(msg);
            promise.setFailure(new UnsupportedMessageTypeException(msg, ByteBuf.class));
            return;
        }
        if (failed) {
            buf.release();
            promise.setFailure(new ClosedChannelException());
        } else if (!handshake.isDone()) {
            // Before asking the engine anything: a handshake step may own it (see the class).
            pending.add(new PendingWrite(buf, promise));
        } else if (protocol.isClosed()) {
            buf.release();
            promise.setFailure(new ClosedChannelException());
        } else {
            encrypt(ctx, buf, promise);
        }
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        if (handshake.isDone() && !failed && !protocol.isClosed()) {
            try {
                protocol.close();   // queues close_notify
                sendOutput(ctx);
            } catch (IOException e) {
                // The TCP close below ends the connection all the same.
            }
        }
        failPending(new ClosedChannelException());
        ctx.close(promise);
    }

    private void encrypt(ChannelHandlerContext ctx, ByteBuf buf, ChannelPromise promise) {
        PromiseCombiner written = new PromiseCombiner(ctx.executor());
        try {
            int limit = Math.min(protocol.getApplicationDataLimit(), CHUNK);
            while (buf.isReadable()) {
                int n = Math.min(buf.readableBytes(), limit);
                if (buf.hasArray()) {
                    protocol.writeApplicationData(buf.array(), buf.arrayOffset() + buf.readerIndex(), n);
                } else {
                    buf.getBytes(buf.readerIndex(), scratch, 0, n);
                    protocol.writeApplicationData(scratch, 0, n);
                }
                buf.skipBytes(n);
                if (!buf.isReadable() || protocol.getAvailableOutputBytes() >= OUTPUT_BATCH) {
                    ByteBuf out = takeOutput(ctx);
                    if (out != null) {
                        written.add(ctx.write(out));
                    }
                }
            }
            written.finish(promise);
        } catch (IOException e) {
            promise.tryFailure(e);
            fail(ctx, e);
        } finally {
            buf.release();
        }
    }

    private void flushPending(ChannelHandlerContext ctx) {
        if (pending.isEmpty()) {
            return;
        }
        while (!pending.isEmpty()) {
            PendingWrite w = pending.poll();
            encrypt(ctx, w.buf(), w.promise());
        }
        ctx.flush();
    }

    private void failPending(Throwable cause) {
        while (!pending.isEmpty()) {
            PendingWrite w = pending.poll();
            w.buf().release();
            w.promise().tryFailure(cause);
        }
    }

    /** Writes and flushes whatever records the engine has queued (handshake, alert, close_notify). */
    private void sendOutput(ChannelHandlerContext ctx) {
        ByteBuf out = takeOutput(ctx);
        if (out != null) {
            ctx.writeAndFlush(out);
        }
    }

    /** The engine's queued records as one buffer, or null if it has none. */
    private ByteBuf takeOutput(ChannelHandlerContext ctx) {
        int n = protocol.getAvailableOutputBytes();
        if (n == 0) {
            return null;
        }
        ByteBuf out = ctx.alloc().buffer(n);
        protocol.readOutput(out.nioBuffer(out.writerIndex(), n), n);
        out.writerIndex(out.writerIndex() + n);
        return out;
    }

    /** A fatal TLS error: send the engine's alert, report, close. */
    private void fail(ChannelHandlerContext ctx, Throwable cause) {
        if (failed) {
            return;
        }
        failed = true;
        sendOutput(ctx);   // the alert, if the engine raised one
        failPending(cause);
        if (handshake.tryFailure(cause)) {
            ctx.fireUserEventTriggered(new SslHandshakeCompletionEvent(cause));
        } else {
            ctx.fireExceptionCaught(cause);
        }
        ctx.close();
    }
}
