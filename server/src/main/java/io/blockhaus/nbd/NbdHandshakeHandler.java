package io.blockhaus.nbd;

import io.blockhaus.engine.Volume;
import io.blockhaus.limits.RefusalReason;
import io.blockhaus.nbd.codec.NbdClientFlags;
import io.blockhaus.nbd.codec.NbdDecoderException;
import io.blockhaus.nbd.codec.NbdExportNameReply;
import io.blockhaus.nbd.codec.NbdHandshakeCodec;
import io.blockhaus.nbd.codec.NbdHandshakeFlags;
import io.blockhaus.nbd.codec.NbdInfo;
import io.blockhaus.nbd.codec.NbdInfoType;
import io.blockhaus.nbd.codec.NbdOption;
import io.blockhaus.nbd.codec.NbdOptionReply;
import io.blockhaus.nbd.codec.NbdOptionReplyType;
import io.blockhaus.nbd.codec.NbdOptionRequest;
import io.blockhaus.nbd.codec.NbdServerGreeting;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The fixed-newstyle handshake, one option at a time: greeting, client flags, then options until
 * EXPORT_NAME or a successful GO hands the connection to {@link NbdTransmissionHandler}. Every
 * option gets an answer (unknown ones NBD_REP_ERR_UNSUP) and the session goes on; only what the
 * specification says ends the session (ABORT, a failed EXPORT_NAME, a broken stream) closes it.
 * Runs on the event loop; nothing here blocks. Auto-read is off: one option is read, answered,
 * and only then is the next one read, so a client cannot queue up work here; a client that has
 * not finished within the handshake timeout is dropped.
 *
 * <p>Security ({@link ConnectionSecurity}): STARTTLS puts TLS under the rest of the handshake
 * (and the transmission phase); under {@code --tls require} every option but STARTTLS and ABORT is
 * answered NBD_REP_ERR_TLS_REQD and EXPORT_NAME closes, so nothing about the exports is said in
 * the clear; an export the peer's identity may not open is answered as if it did not exist.
 */
final class NbdHandshakeHandler extends SimpleChannelInboundHandler<Object> {
    private final NbdExports exports;
    private final NbdServerConfig config;
    private final ServerResources shared;
    private final ConnectionSecurity security;
    private boolean clientFlagsSeen;
    private boolean noZeroes;
    private boolean structured;
    private boolean extended;
    private boolean allocationContext;
    private ScheduledFuture<?> timeout;
    private boolean ended; // this connection's end is counted (Disconnects) or is a refusal (Refusals)

    NbdHandshakeHandler(NbdExports exports, NbdServerConfig config, ServerResources shared, NbdSecurity security,
            SecurityRefusals refusals) {
        this.exports = exports;
        this.config = config;
        this.shared = shared;
        this.security = new ConnectionSecurity(security, refusals);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        // One deadline for the whole handshake, not per byte: a client trickling a byte a second
        // (slowloris) is dropped at the same time as one that sends nothing.
        timeout = ctx.executor().schedule(() -> {
            ended = true;
            shared.refusals().refused(RefusalReason.HANDSHAKE_TIMEOUT, ctx.channel().remoteAddress()
                    + " did not finish the handshake within " + config.handshakeTimeout().toMillis() + " ms");
            ctx.close();
        }, config.handshakeTimeout().toMillis(), TimeUnit.MILLISECONDS);
        ctx.writeAndFlush(new NbdServerGreeting(
                new NbdHandshakeFlags(NbdHandshakeFlags.FIXED_NEWSTYLE | NbdHandshakeFlags.NO_ZEROES)));
        ctx.fireChannelActive();
        ctx.read();
    }

    /**
     * Nobody on the server's side closed it (they all set {@link #ended} first, or
     * {@link ConnectionSecurity} closed it as a TLS refusal): the client left during the handshake,
     * or the server is stopping. Once in transmission this handler is gone and
     * {@link NbdTransmissionHandler} counts the end.
     */
    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (timeout != null) {
            timeout.cancel(false);
        }
        if (!ended && !security.closedTheConnection()) {
            end(ctx, ctx.executor().isShuttingDown() ? DisconnectReason.SERVER_STOPPING
                    : DisconnectReason.CLIENT_LEFT_HANDSHAKE, "the connection closed during the handshake");
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        // Ask for more only while the handshake is still ours (after GO the transmission
        // handler decides when to read).
        if (!ctx.isRemoved() && ctx.channel().isActive()) {
            ctx.read();
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof SslHandshakeCompletionEvent done) {
            security.handshakeDone(ctx, done);
        }
        ctx.fireUserEventTriggered(evt);
    }

    /**
     * After STARTTLS the TLS handler reports a failed handshake (another CA, no certificate when
     * one is required, an old protocol) both as an event, logged and counted as a refusal in
     * {@link ConnectionSecurity#handshakeDone}, and as this exception: the connection just closes.
     * Otherwise an exception here is a read or write that failed: the client gone
     * ({@link Disconnects#clientGone}, also a peer TCP gave up on), or something the handshake
     * cannot go on from; either way the connection closes and its end is counted.
     */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (security.tlsStarted() && !security.tlsEstablished()) {
            System.getLogger(NbdHandshakeHandler.class.getName()).log(System.Logger.Level.DEBUG,
                    "NBD client " + ctx.channel().remoteAddress() + ": " + cause);
            ended = true;
            ctx.close();
            return;
        }
        if (Disconnects.clientGone(cause)) {
            end(ctx, DisconnectReason.CLIENT_LEFT_HANDSHAKE, String.valueOf(cause));
            return;
        }
        if (!ended) {
            System.getLogger(NbdHandshakeHandler.class.getName()).log(System.Logger.Level.DEBUG,
                    "NBD handshake with " + ctx.channel().remoteAddress() + " failed", cause);
        }
        end(ctx, DisconnectReason.INTERNAL_ERROR, String.valueOf(cause));
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
        if (!ctx.channel().isActive()) {
            return; // closed while the decoder still held options (e.g. bytes behind STARTTLS)
        }
        if (msg instanceof NbdClientFlags flags) {
            onClientFlags(ctx, flags);
        } else if (msg instanceof NbdOptionRequest option && clientFlagsSeen) {
            onOption(ctx, option);
        } else {
            refuse(ctx, "unexpected " + (msg instanceof NbdOptionRequest ? "option before the client flags" : "message"));
        }
    }

    /** Closes a handshake the protocol leaves no other answer to, counted and logged ({@link Disconnects}). */
    private void refuse(ChannelHandlerContext ctx, String why) {
        end(ctx, DisconnectReason.HANDSHAKE_REFUSED, why);
    }

    /** Counts the connection's end once, for whoever ended it first, and closes it. */
    private void end(ChannelHandlerContext ctx, DisconnectReason reason, String detail) {
        if (!ended) {
            ended = true;
            shared.disconnects().ended(reason, ctx.channel().remoteAddress(), detail, 0);
        }
        ctx.close();
    }

    private void onClientFlags(ChannelHandlerContext ctx, NbdClientFlags flags) {
        // Only fixed newstyle is served; unknown client flags must end the session (spec).
        if (!flags.has(NbdClientFlags.FIXED_NEWSTYLE) || flags.unknownBits() != 0) {
            refuse(ctx, "client flags " + flags + ": only fixed newstyle is served");
            return;
        }
        clientFlagsSeen = true;
        noZeroes = flags.has(NbdClientFlags.NO_ZEROES);
    }

    private void onOption(ChannelHandlerContext ctx, NbdOptionRequest request) {
        // A malformed option takes the usual path: it is answered without naming any export.
        if (security.clearTextRefused() && !startTlsOrAbort(request) && request.decoderResult().isSuccess()) {
            if (request instanceof NbdOptionRequest.ExportName) {
                refuse(ctx, "EXPORT_NAME in the clear under --tls require"); // it has no error reply: the spec says disconnect
            } else {
                ctx.writeAndFlush(security.tlsRequired(request.option()));
            }
            return;
        }
        switch (request) {
            case NbdOptionRequest.ExportName(String name) -> exportName(ctx, name);
            case NbdOptionRequest.Info info -> infoOrGo(ctx, info);
            case NbdOptionRequest.MetaContext meta -> metaContext(ctx, meta);
            case NbdOptionRequest.Plain plain -> plain(ctx, plain);
        }
    }

    private static boolean startTlsOrAbort(NbdOptionRequest r) {
        return r instanceof NbdOptionRequest.Plain p
                && (p.option().equals(NbdOption.STARTTLS) || p.option().equals(NbdOption.ABORT));
    }

    private void plain(ChannelHandlerContext ctx, NbdOptionRequest.Plain p) {
        NbdOption o = p.option();
        if (!p.decoderResult().isSuccess()) {
            malformed(ctx, o, p.decoderResult());
            return;
        }
        if (o.equals(NbdOption.ABORT)) {
            // The client's goodbye in the handshake; counted now, the close follows the ACK.
            ended = true;
            shared.disconnects().ended(DisconnectReason.CLIENT_LEFT_HANDSHAKE, ctx.channel().remoteAddress(), "NBD_OPT_ABORT", 0);
            ctx.writeAndFlush(new NbdOptionReply.Ack(o)).addListener(ChannelFutureListener.CLOSE);
        } else if (o.equals(NbdOption.LIST)) {
            if (p.dataLength() != 0) {
                error(ctx, o, NbdOptionReplyType.ERR_INVALID, "LIST takes no data");
                return;
            }
            for (Volume v : exports.all()) {
                if (security.listed(v)) {
                    ctx.write(new NbdOptionReply.Server(o, v.name(), ""));
                }
            }
            ctx.writeAndFlush(new NbdOptionReply.Ack(o));
        } else if (o.equals(NbdOption.STARTTLS)) {
            if (security.startTls(ctx, o, p.dataLength())) {
                // What was negotiated in the clear does not carry over into TLS (spec).
                structured = false;
                extended = false;
                allocationContext = false;
            }
        } else if (o.equals(NbdOption.STRUCTURED_REPLY) || o.equals(NbdOption.EXTENDED_HEADERS)) {
            negotiate(ctx, p);
        } else {
            error(ctx, o, NbdOptionReplyType.ERR_UNSUP, "option " + o + " is not supported");
        }
    }

    private void negotiate(ChannelHandlerContext ctx, NbdOptionRequest.Plain p) {
        NbdOption o = p.option();
        if (p.dataLength() != 0) {
            error(ctx, o, NbdOptionReplyType.ERR_INVALID, o + " takes no data");
            return;
        }
        if (o.equals(NbdOption.EXTENDED_HEADERS)) {
            extended = true;
            structured = true; // extended headers imply structured replies
        } else {
            structured = true;
        }
        // A new reply format invalidates meta contexts chosen before it (spec).
        allocationContext = false;
        ctx.writeAndFlush(new NbdOptionReply.Ack(o));
    }

    private void malformed(ChannelHandlerContext ctx, NbdOption o, DecoderResult result) {
        NbdDecoderException.Reason reason = NbdDecoderException.reasonOf(result);
        if (reason == null || !reason.recoverable() || o.equals(NbdOption.EXPORT_NAME)) {
            // the stream is lost, or EXPORT_NAME has no error reply (spec)
            refuse(ctx, "malformed " + o + ": " + (result.cause() == null ? reason : result.cause().getMessage()));
            return;
        }
        NbdOptionReplyType type = reason == NbdDecoderException.Reason.OPTION_TOO_BIG
                || reason == NbdDecoderException.Reason.STRING_TOO_LONG
                ? NbdOptionReplyType.ERR_TOO_BIG : NbdOptionReplyType.ERR_INVALID;
        error(ctx, o, type, result.cause().getMessage());
    }

    private void exportName(ChannelHandlerContext ctx, String name) {
        Optional<Volume> v = visible(ctx, name);
        if (v.isEmpty()) {
            refuse(ctx, "EXPORT_NAME of an export it may not open"); // no polite refusal: the spec says disconnect
            return;
        }
        ctx.writeAndFlush(new NbdExportNameReply(v.get().size(), ExportFlags.of(v.get(), structured), noZeroes));
        enterTransmission(ctx, v.get());
    }

    private void infoOrGo(ChannelHandlerContext ctx, NbdOptionRequest.Info info) {
        NbdOption o = info.option();
        Optional<Volume> found = visible(ctx, info.name());
        if (found.isEmpty()) {
            error(ctx, o, NbdOptionReplyType.ERR_UNKNOWN, "no export named '" + info.name() + "'");
            return;
        }
        Volume v = found.get();
        ctx.write(new NbdOptionReply.Info(o, new NbdInfo.Export(v.size(), ExportFlags.of(v, structured))));
        // Minimum 1: any alignment works (partial pages go through read-modify-write).
        ctx.write(new NbdOptionReply.Info(o, new NbdInfo.BlockSize(1, v.pageSize(), config.maxPayload())));
        if (info.requests().contains(NbdInfoType.NAME)) {
            ctx.write(new NbdOptionReply.Info(o, new NbdInfo.Name(v.name())));
        }
        if (info.requests().contains(NbdInfoType.DESCRIPTION)) {
            ctx.write(new NbdOptionReply.Info(o, new NbdInfo.Description(describe(v))));
        }
        ctx.writeAndFlush(new NbdOptionReply.Ack(o));
        if (o.equals(NbdOption.GO)) {
            enterTransmission(ctx, v);
        }
    }

    private static String describe(Volume v) {
        return "Blockhaus volume " + v.name() + " (" + v.config().io().name().toLowerCase() + " I/O, "
                + v.config().lockPolicy().label() + " lock" + (v.readOnly() ? ", read-only" : "") + ")";
    }

    private void metaContext(ChannelHandlerContext ctx, NbdOptionRequest.MetaContext m) {
        NbdOption o = m.option();
        boolean set = o.equals(NbdOption.SET_META_CONTEXT);
        if (!structured) {
            error(ctx, o, NbdOptionReplyType.ERR_INVALID, "meta contexts need structured replies first");
            return;
        }
        if (visible(ctx, m.exportName()).isEmpty()) {
            error(ctx, o, NbdOptionReplyType.ERR_UNKNOWN, "no export named '" + m.exportName() + "'");
            return;
        }
        boolean selected = false;
        if (m.queries().isEmpty()) {
            selected = !set; // LIST with no query lists everything; SET with none selects nothing
        } else {
            for (String q : m.queries()) {
                if (q.equals(NbdSession.ALLOCATION_CONTEXT) || (!set && q.equals("base:"))) {
                    selected = true;
                }
            }
        }
        if (selected) {
            ctx.write(new NbdOptionReply.MetaContext(o, NbdSession.ALLOCATION_CONTEXT_ID, NbdSession.ALLOCATION_CONTEXT));
        }
        if (set) {
            allocationContext = selected;
        }
        ctx.writeAndFlush(new NbdOptionReply.Ack(o));
    }

    /** The export {@code name} if it exists and the peer may open it; a refused one looks missing. */
    private Optional<Volume> visible(ChannelHandlerContext ctx, String name) {
        return exports.find(name).filter(v -> security.mayOpen(ctx, v));
    }

    private void error(ChannelHandlerContext ctx, NbdOption o, NbdOptionReplyType type, String message) {
        ctx.writeAndFlush(new NbdOptionReply.Error(o, type, message));
    }

    /**
     * The reply was already encoded by the handshake encoder (we are on the event loop). The
     * transmission handler goes in first, then the codec switch, which hands any bytes the client
     * sent after the option straight to the new decoder and on to the new handler.
     */
    private void enterTransmission(ChannelHandlerContext ctx, Volume v) {
        timeout.cancel(false);
        NbdSession session = new NbdSession(v, structured, extended, allocationContext, security.tlsStarted(),
                security.peer());
        ctx.pipeline().replace(this, NbdTransmissionHandler.NAME, new NbdTransmissionHandler(session, config, shared));
        NbdHandshakeCodec.switchToTransmission(ctx.pipeline(), structured, extended, config.maxPayload());
    }
}
