package io.blockhaus.tls;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandler;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.concurrent.Executor;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * TLS with certificates through the JDK's own TLS (no native library to ship), TLS 1.3 and 1.2
 * only. One {@link SslContext} for the server's life, one {@link SslHandler} per connection.
 * Client certificates are verified by the JDK's trust manager against {@code --tls-ca} (chain,
 * validity, signature); a client certificate that does not verify fails the handshake. The CA is
 * not named to clients (GnuTLS then fails to send RSA client certificates over TLS 1.3): see
 * {@link UnadvertisedCaTrustManager}.
 *
 * <p><b>The handshake's CPU runs off the event loop.</b> The JDK's engine hands its handshake
 * work (parsing the client's hello, the key exchange, signing with the server's key, verifying a
 * client's chain) to the caller as delegated tasks. Netty's default runs them on the
 * connection's event loop; here they run on a {@link HandshakePool}, and the handler stops
 * reading its connection until its task is done, so a connection has at most one task queued or
 * running at a time. The bulk encryption of records still runs on the loop.
 */
public final class X509HandlerFactory implements TlsHandlerFactory {
    /** What a client may be offered: nothing older than 1.2 (RFC 8996 retired 1.0 and 1.1). */
    static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};
    /** A client that starts TLS but does not finish its handshake is dropped after this long. */
    static final long HANDSHAKE_TIMEOUT_MILLIS = 10_000;

    private final SslContext context;
    private final PeerVerification verification;
    private final Executor handshakeTasks;

    public X509HandlerFactory(TlsMaterial material, PeerVerification verification) {
        this(material, verification, HandshakePool.create());
    }

    /** With the executor that runs the handshakes' delegated tasks (a test holds them with its own). */
    public X509HandlerFactory(TlsMaterial material, PeerVerification verification, Executor handshakeTasks) {
        this.verification = verification;
        this.handshakeTasks = handshakeTasks;
        if (verification != PeerVerification.NONE && material.trusted().isEmpty()) {
            throw new IllegalArgumentException("verifying client certificates needs a CA");
        }
        SslContextBuilder b = serverContextBuilder(material, verification);
        try {
            this.context = b.build();
        } catch (SSLException e) {
            throw new TlsConfigException("cannot set up TLS with --tls-cert/--tls-key: " + e.getMessage(), e);
        }
    }

    /**
     * The server side's settings from the key material, shared with the gRPC port: the JDK's
     * TLS, {@link #PROTOCOLS}, client certificates asked for as {@code verification} says and
     * verified against the CA.
     */
    public static SslContextBuilder serverContextBuilder(TlsMaterial material, PeerVerification verification) {
        SslContextBuilder b = SslContextBuilder
                .forServer(material.key(), material.chain().toArray(X509Certificate[]::new))
                .sslProvider(SslProvider.JDK)
                .protocols(PROTOCOLS)
                .clientAuth(switch (verification) {
                    case NONE -> ClientAuth.NONE;
                    case OPTIONAL -> ClientAuth.OPTIONAL;
                    case REQUIRED -> ClientAuth.REQUIRE;
                });
        if (verification != PeerVerification.NONE) {
            // Verifies against the CA like Netty's default, but names no CA to the client: see the class.
            b.trustManager(UnadvertisedCaTrustManager.trusting(material.trusted()));
        }
        return b;
    }

    @Override
    public ChannelHandler newServerHandler(ByteBufAllocator alloc) {
        SslHandler handler = context.newHandler(alloc, handshakeTasks);
        handler.setHandshakeTimeoutMillis(HANDSHAKE_TIMEOUT_MILLIS);
        return handler;
    }

    @Override
    public PeerIdentity identityOf(ChannelHandler handler) {
        SslHandler ssl = (SslHandler) handler;
        try {
            Certificate[] peer = ssl.engine().getSession().getPeerCertificates();
            return peer.length > 0 && peer[0] instanceof X509Certificate x
                    ? PeerIdentity.Certificate.of(x) : PeerIdentity.ANONYMOUS;
        } catch (SSLPeerUnverifiedException e) {
            return PeerIdentity.ANONYMOUS; // no certificate asked for, or (OPTIONAL) none sent
        }
    }

    @Override
    public String describe() {
        return "X.509 (TLS 1.3/1.2), client certificates " + switch (verification) {
            case NONE -> "not asked for";
            case OPTIONAL -> "verified when sent";
            case REQUIRED -> "required";
        };
    }
}
