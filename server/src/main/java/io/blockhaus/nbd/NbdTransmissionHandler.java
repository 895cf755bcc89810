package io.blockhaus.nbd;

import io.blockhaus.engine.Handle;
import io.blockhaus.engine.PayloadPipe;
import io.blockhaus.limits.RefusalReason;
import io.blockhaus.nbd.codec.NbdCommand;
import io.blockhaus.nbd.codec.NbdDecoderException;
import io.blockhaus.nbd.codec.NbdError;
import io.blockhaus.nbd.codec.NbdPayloadChunk;
import io.blockhaus.nbd.codec.NbdRequest;
import io.blockhaus.nbd.codec.NbdTransmissionCodec;
import io.blockhaus.nbd.codec.NbdTransmissionDecoder;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;

/**
 * The transmission phase of one connection, read against the NBD specification: requests come in
 * (with a WRITE's payload after its header), each is checked once ({@link NbdRequestValidator}),
 * run ({@link CommandDispatcher}: inline when the engine need not wait, else on a worker) and
 * answered as it completes, out of order, as NBD allows ({@link ReplyWriter}). This class only
 * decides <em>when</em>; each job is another class's:
 *
 * <ul>
 * <li>flow control: a request starts only while the connection is under its own bounds
 *     ({@link ConnectionWindow}), its client reads its replies (the channel is writable), and the
 *     server-wide {@link PayloadBudget} has room for its payload; otherwise the socket is not read
 *     and the client's queue fills its own TCP window;</li>
 * <li>a WRITE's payload: gathered or skipped by {@link PayloadReceiver}, part or all of it possibly
 *     taken out of the socket by {@link PayloadSplicing} (also as the rest arrives);</li>
 * <li>the reply, and the budget given back once it is written: {@link ReplyWriter}.</li>
 * </ul>
 *
 * <h2>One pump</h2>
 * Every event (bytes read, a reply done, the channel writable again, budget freed) ends in
 * {@link #pump()}, which starts what can start and then asks for more input if there is room. It
 * is re-entrant: an event inside it (an inline completion) only asks it to go round once more. So
 * what happens does not depend on the order of calls inside one event, only on the state.
 *
 * <p>Auto-read is off. Decoded messages wait in {@code pending}: at most one socket read's
 * worth, since nothing more is read while it is not empty. A WRITE's payload chunks are always
 * taken (its bytes are already counted), so a payload in progress never waits behind a bound.
 * Everything here runs on the connection's event loop, which never waits: engine work that may
 * block is on the workers, and budget waits are call-backs.
 */
final class NbdTransmissionHandler extends ChannelInboundHandlerAdapter {
    static final String NAME = "nbd-transmission";

    private final NbdSession session;
    private final NbdServerConfig config;
    private final ServerResources shared;
    private final ArrayDeque<Object> pending = new ArrayDeque<>();
    private final ConnectionWindow window;
    /** One completion for every request: a method reference written at each dispatch is an allocation per request. */
    private final CommandDispatcher.Completion completion = this::complete;
    private ChannelHandlerContext ctx;
    private Handle handle;
    private PayloadBudget.Account budget;
    private NbdCommandRunner runner;
    private CommandDispatcher dispatcher;
    private ReplyWriter replies;
    private PayloadReceiver payloads;
    private PayloadSplicing splicing;
    private RequestReporter reporter;
    private NbdTransmissionDecoder decoder;
    private boolean pumping;
    private boolean pumpAgain;
    private boolean disconnecting;    // NBD_CMD_DISC received: answer what is in flight, then close
    private boolean closed;
    private DisconnectReason endedFor; // why the connection ended, once it has (Disconnects)
    private boolean waitingForClient; // counted in the gauges while true
    private boolean waitingForBudget; // registered with the budget and counted in the gauges while true

    NbdTransmissionHandler(NbdSession session, NbdServerConfig config, ServerResources shared) {
        this.session = session;
        this.config = config;
        this.shared = shared;
        this.window = new ConnectionWindow(config.maxInflightRequests(), config.maxInflightBytes());
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        handle = session.volume().open();
        budget = shared.payloadBudget().open();
        ReadReplies reads = new ReadReplies(session, handle, ctx.alloc(), shared.splices(),
                ReadReplies.copiesFileRanges(config, ctx.channel().remoteAddress()));
        runner = new NbdCommandRunner(session, handle, ctx.alloc(), shared.splices(), reads);
        dispatcher = new CommandDispatcher(shared.workers(), ctx.executor(), runner, reads);
        replies = new ReplyWriter(ctx, this::disconnect);
        payloads = new PayloadReceiver(ctx.alloc(), config.payloadStallTimeout(), this::disconnect);
        // Over TLS the payload is ciphertext in the socket: only the TLS handler can read it.
        splicing = session.tls() ? PayloadSplicing.OFF
                : WriteSplicer.forConnection(ctx.channel(), session, config, shared.splices());
        reporter = RequestReporter.of(shared.events(), session.volume().name());
        ctx.read();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (closed || disconnecting) {
            ReferenceCountUtil.release(msg);
            return;
        }
        pending.add(msg);
        pump();
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (!closed) {
            payloads.watchIfArriving(ctx);
        }
        pump();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable() && !closed) {
            setWaitingForClient(false);
            pump();
        }
        ctx.fireChannelWritabilityChanged();
    }

    /** Starts what can start, then reads more input if there is room; see the class comment. */
    private void pump() {
        if (pumping) {
            pumpAgain = true;
            return;
        }
        pumping = true;
        try {
            do {
                pumpAgain = false;
                while (!closed && step()) {
                    // each step took one message from pending
                }
            } while (pumpAgain);
        } finally {
            pumping = false;
        }
        readIfRoom();
    }

    /** Runs a WRITE whose payload became whole in its pipe, else acts on the oldest pending message if it can now; false if neither. */
    private boolean step() {
        PayloadReceiver.Write piped = payloads.wholeInPipe(); // its rest was spliced at the reads' start
        if (piped != null) {
            dispatcher.dispatch(piped.job(), completion);
            return true;
        }
        Object msg = pending.peek();
        if (msg instanceof NbdPayloadChunk chunk) {
            pending.poll();
            try {
                onPayload(chunk);
            } finally {
                chunk.release();
            }
            return true;
        }
        if (msg instanceof NbdRequest r) {
            if (!hasRoom()) {
                return false;
            }
            NbdError refusal = r.decoderResult().isSuccess()
                    ? NbdRequestValidator.check(r, session, config.maxPayload(), session.volume().size()) : null;
            long bytes = refusal == null && r.decoderResult().isSuccess() ? ConnectionWindow.payloadBytes(r) : 0;
            PayloadBudget.Lease lease = null;
            if (bytes > 0 && (lease = budget.tryTake(bytes)) == null) {
                awaitBudget(bytes);
                return false;
            }
            pending.poll();
            onRequest(r, refusal, lease);
            return true;
        }
        if (msg != null) {
            pending.poll();
            ReferenceCountUtil.release(msg);
            disconnect(DisconnectReason.INTERNAL_ERROR, "unexpected message " + msg.getClass().getName());
        }
        return false;
    }

    /** No request in flight, none decoded and waiting, no payload arriving: what the idle timeout asks ({@link IdleDisconnect}). */
    boolean quiescent() {
        return window.idle() && pending.isEmpty() && !payloads.active();
    }

    /** Room for a new request: the client reads its replies, no payload is arriving, the window is open. */
    private boolean hasRoom() {
        if (!ctx.channel().isWritable()) {
            setWaitingForClient(true);
            return false;
        }
        return !payloads.active() && window.hasRoom();
    }

    private void readIfRoom() {
        if (!closed && !disconnecting && pending.isEmpty() && (payloads.active() || hasRoom())
                && ctx.channel().isActive()) {
            splicing.beforeRead(payloads);
            ctx.read();
        }
    }

    private void onRequest(NbdRequest r, NbdError refusal, PayloadBudget.Lease lease) {
        long started = reporter.start();
        if (!r.decoderResult().isSuccess()) {
            reporter.malformed();
            NbdDecoderException.Reason reason = NbdDecoderException.reasonOf(r.decoderResult());
            if (reason == null || !reason.recoverable()) {
                // wrong magic or an absurd length: the stream cannot be trusted
                disconnect(DisconnectReason.MALFORMED_REQUEST, String.valueOf(r.decoderResult().cause().getMessage()));
                return;
            }
            // Too large a WRITE: the decoder skips its payload and then sends an empty last chunk;
            // the answer waits for it, as for any refused WRITE (EINVAL: the spec keeps
            // EOVERFLOW for reads).
            shared.refusals().refused(RefusalReason.REQUEST_TOO_LARGE, ctx.channel().remoteAddress() + ": "
                    + r.command() + " of " + r.length() + " bytes");
            reporter.refused(r, started, NbdError.EINVAL);
            payloads.skip(runner.error(r, NbdError.EINVAL,
                    "request payload of " + r.length() + " bytes is over the " + config.maxPayload() + " byte limit"));
            return;
        }
        if (r.command().equals(NbdCommand.DISC)) {
            disconnecting = true;
            pending.forEach(ReferenceCountUtil::release);
            pending.clear();
            if (window.idle()) {
                disconnect(DisconnectReason.CLIENT_DISC, "NBD_CMD_DISC");
            }
            return;
        }
        if (refusal != null) {
            if (ConnectionWindow.payloadBytes(r) > config.maxPayload()) {
                shared.refusals().refused(RefusalReason.REQUEST_TOO_LARGE, ctx.channel().remoteAddress() + ": "
                        + r.command() + " of " + r.length() + " bytes");
            }
            reporter.refused(r, started, refusal);
            List<Object> error = runner.error(r, refusal, "request refused: " + refusal.name());
            if (r.hasPayload()) {
                payloads.skip(error);
            } else {
                replies.write(error, null);
            }
            return;
        }
        window.begin(r);
        PayloadPipe piped = splicing.start(r, decoder());
        if (r.hasPayload() && (piped == null || piped.buffered() < r.length())) {
            payloads.receive(r, lease, piped, started);
            return;
        }
        dispatcher.dispatch(new Job(r, lease, null, piped, started), completion);
    }

    private void onPayload(NbdPayloadChunk chunk) {
        switch (payloads.accept(chunk)) {
            case PayloadReceiver.Write w -> dispatcher.dispatch(w.job(), completion);
            case PayloadReceiver.Refusal f -> replies.write(f.reply(), null);
            case null -> {
            }
        }
    }

    /** A request's replies, on the event loop (inline, or handed back by a worker). */
    private void complete(Job job, List<Object> out) {
        window.end(job.request());
        if (job.pipe() != null) {
            splicing.giveBack(job.pipe());
        }
        boolean read = job.request().command().equals(NbdCommand.READ);
        PayloadBudget.Lease lease = job.lease();
        if (lease != null && (!read || closed)) {
            lease.release(); // a WRITE's payload is released by now; a READ's reply holds it until written
            lease = null;
        }
        if (closed) {
            out.forEach(ReferenceCountUtil::release);
            return;
        }
        reporter.answered(job.request(), job.started(), out); // before the write: its buffers may be freed by then
        replies.write(out, lease);
        if (disconnecting && window.idle()) {
            disconnect(DisconnectReason.CLIENT_DISC, "NBD_CMD_DISC, after answering what was in flight");
            return;
        }
        pump();
    }

    private void awaitBudget(long bytes) {
        if (waitingForBudget) {
            return;
        }
        waitingForBudget = true;
        shared.gauges().waitingForBudget(true);
        budget.await(bytes, this::resumeOnLoop);
    }

    /** Runs on whichever thread gave budget back: hop to this connection's event loop. */
    private void resumeOnLoop() {
        try {
            ctx.executor().execute(() -> {
                if (!waitingForBudget) {
                    return; // closed meanwhile
                }
                waitingForBudget = false;
                shared.gauges().waitingForBudget(false);
                pump();
            });
        } catch (RejectedExecutionException e) {
            // The event loop is shutting down: the connection is closing and wants nothing more.
        }
    }

    private void setWaitingForClient(boolean waiting) {
        if (waitingForClient != waiting) {
            waitingForClient = waiting;
            shared.gauges().waitingForClient(waiting);
        }
    }

    /** The transmission decoder; looked up on first use, since the codec is switched in after this handler. */
    private NbdTransmissionDecoder decoder() {
        if (decoder == null) {
            decoder = ctx.pipeline().get(NbdTransmissionCodec.class).decoder();
        }
        return decoder;
    }

    /** See {@link Disconnector}: also what {@link IdleDisconnect} calls. */
    void disconnect(DisconnectReason reason, String detail) {
        if (endedFor != null) {
            return;
        }
        endedFor = reason;
        shared.disconnects().ended(reason, ctx.channel().remoteAddress(), detail, window.requests());
        closed = true;
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (endedFor == null) {
            // Nobody here closed it: the client did (end of input), or the server is stopping.
            endedFor = ctx.executor().isShuttingDown() ? DisconnectReason.SERVER_STOPPING : DisconnectReason.CLIENT_CLOSED;
            shared.disconnects().ended(endedFor, ctx.channel().remoteAddress(), "the connection closed", window.requests());
        }
        closed = true;
        setWaitingForClient(false);
        if (waitingForBudget) {
            waitingForBudget = false; // its registration stays with the budget and does nothing
            shared.gauges().waitingForBudget(false);
        }
        pending.forEach(ReferenceCountUtil::release);
        pending.clear();
        NbdRequest unfinished = payloads.close(splicing);
        if (unfinished != null) {
            window.end(unfinished); // its payload never came
        }
        splicing.close();
        if (handle != null) {
            handle.close();
        }
        if (reporter != null) {
            reporter.closed(); // complete() and step() report nothing once closed
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (Disconnects.clientGone(cause)) {
            disconnect(DisconnectReason.CLIENT_CLOSED, String.valueOf(cause));
            return;
        }
        if (endedFor == null) {
            // The rate-limited line carries the message; the stack is for whoever turns DEBUG on.
            System.getLogger(NbdTransmissionHandler.class.getName()).log(System.Logger.Level.DEBUG,
                    "NBD connection " + ctx.channel().remoteAddress() + " failed", cause);
        }
        disconnect(DisconnectReason.INTERNAL_ERROR, String.valueOf(cause));
    }
}
