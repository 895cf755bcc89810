package io.blockhaus.nbd;

import io.blockhaus.engine.Volume;
import io.blockhaus.nbd.codec.NbdHandshakeCodec;
import io.blockhaus.nbd.codec.NbdOption;
import io.blockhaus.nbd.codec.NbdOptionReply;
import io.blockhaus.nbd.codec.NbdOptionReplyType;
import io.blockhaus.tls.PeerIdentity;
import io.blockhaus.tls.TlsHandlerFactory;
import io.blockhaus.tls.TlsMode;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.lang.System.Logger.Level;

/**
 * One connection's security during the handshake: whether it has started TLS, who the peer is,
 * and which exports it may see. Lives beside {@link NbdHandshakeHandler}, on its event loop.
 *
 * <p>STARTTLS, in the order that keeps the clear and the encrypted bytes apart: the ACK is
 * written (it is in the channel's outbound buffer before the next step), then the TLS handler
 * goes to the head of the pipeline, so every later byte in both directions passes through it.
 * Bytes the client sent after STARTTLS but before our ACK would be read as options although they
 * came in the clear (the injection class of CVE-2011-0411 in SMTP servers): the connection is
 * closed instead. The state negotiated before TLS (structured replies, meta contexts) is
 * forgotten, as the NBD specification requires; the handshake handler does that.
 *
 * <p>Access: an export whose allow list does not admit the peer is treated exactly as a missing
 * one (not listed, NBD_REP_ERR_UNKNOWN, EXPORT_NAME closes), so a client cannot learn which
 * names exist. Each refusal is counted; the first of a connection is logged at INFO (a client
 * probing names produces one line, not one per name).
 */
final class ConnectionSecurity {
    private static final System.Logger LOG = System.getLogger(ConnectionSecurity.class.getName());
    static final String TLS_HANDLER_NAME = "tls";

    private final NbdSecurity security;
    private final SecurityRefusals refusals;
    private ChannelHandler tls;           // set when STARTTLS was accepted
    private PeerIdentity peer = PeerIdentity.ANONYMOUS;
    private boolean refusalLogged;
    private boolean established;          // the TLS handshake succeeded
    private boolean closed;               // closed here: a refusal, not a client leaving

    ConnectionSecurity(NbdSecurity security, SecurityRefusals refusals) {
        this.security = security;
        this.refusals = refusals;
    }

    boolean tlsStarted() {
        return tls != null;
    }

    /** Whether the TLS handshake after STARTTLS succeeded (until then a failure is a refusal). */
    boolean tlsEstablished() {
        return established;
    }

    /** Whether this closed the connection (bytes behind STARTTLS, a failed TLS handshake). */
    boolean closedTheConnection() {
        return closed;
    }

    PeerIdentity peer() {
        return peer;
    }

    /** Under {@code --tls require}, before STARTTLS: only STARTTLS and ABORT are served. */
    boolean clearTextRefused() {
        return security.mode() == TlsMode.REQUIRE && tls == null;
    }

    /** The reply to an option refused because TLS is required (and it is counted). */
    NbdOptionReply.Error tlsRequired(NbdOption o) {
        refusals.tlsRequired();
        return new NbdOptionReply.Error(o, NbdOptionReplyType.ERR_TLS_REQD,
                "TLS is required: send NBD_OPT_STARTTLS first");
    }

    /**
     * Answers STARTTLS. Returns true when the connection is now TLS (ACK written, handler in);
     * false when it was refused (the error reply is written) or closed (bytes in the clear
     * behind the option).
     */
    boolean startTls(ChannelHandlerContext ctx, NbdOption o, long dataLength) {
        if (security.handlers().isEmpty()) {
            ctx.writeAndFlush(new NbdOptionReply.Error(o, NbdOptionReplyType.ERR_POLICY, "TLS is not offered by this server"));
            return false;
        }
        if (tls != null) {
            ctx.writeAndFlush(new NbdOptionReply.Error(o, NbdOptionReplyType.ERR_INVALID, "TLS is already active"));
            return false;
        }
        if (dataLength != 0) {
            ctx.writeAndFlush(new NbdOptionReply.Error(o, NbdOptionReplyType.ERR_INVALID, "STARTTLS takes no data"));
            return false;
        }
        NbdHandshakeCodec codec = ctx.pipeline().get(NbdHandshakeCodec.class);
        if (codec.bufferedBytes() != 0) {
            LOG.log(Level.INFO, "NBD client " + ctx.channel().remoteAddress()
                    + " sent data behind STARTTLS before its answer; closing");
            closed = true;
            ctx.close();
            return false;
        }
        ctx.writeAndFlush(new NbdOptionReply.Ack(o));
        TlsHandlerFactory factory = security.handlers().get();
        tls = factory.newServerHandler(ctx.alloc());
        ctx.pipeline().addFirst(TLS_HANDLER_NAME, tls);
        return true;
    }

    /** The TLS handshake ended: learn who the peer is, or count the failure (the TLS handler closes). */
    void handshakeDone(ChannelHandlerContext ctx, SslHandshakeCompletionEvent event) {
        if (event.isSuccess()) {
            peer = security.handlers().orElseThrow().identityOf(tls);
            established = true;
        } else {
            refusals.tlsHandshake();
            LOG.log(Level.INFO, "NBD client " + ctx.channel().remoteAddress() + ": TLS handshake failed: "
                    + event.cause().getMessage());
            closed = true;
            ctx.close();
        }
    }

    /** Whether the peer may see and open {@code v}; a refusal is counted and (once) logged. */
    boolean mayOpen(ChannelHandlerContext ctx, Volume v) {
        if (security.access().mayOpen(peer, v.name())) {
            return true;
        }
        refusals.access();
        if (!refusalLogged) {
            refusalLogged = true;
            LOG.log(Level.INFO, "NBD client " + ctx.channel().remoteAddress() + " (" + peer.describe()
                    + ") refused export '" + v.name() + "': not in its allow list (further refusals on this"
                    + " connection are counted, not logged)");
        }
        return false;
    }

    /** Whether {@code v} is listed to the peer (LIST): the same rule, but not a refusal to count. */
    boolean listed(Volume v) {
        return security.access().mayOpen(peer, v.name());
    }
}
