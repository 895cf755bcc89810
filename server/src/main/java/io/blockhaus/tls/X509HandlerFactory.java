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
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
 * client's chain: a millisecond or more of CPU per handshake) to the caller as delegated tasks.
 * Netty's default runs them on the connection's event loop, where every other connection sharing
 * the loop would wait behind a handshake, and a burst of new TLS clients would stall the served
 * ones. Here they run on {@link #handshakeTasks}; the handler stops reading its connection until
 * its task is done, so a connection has at most one task queued or running at a time and the
 * queue never holds more tasks than there are connections in a handshake. The queue is bounded
 * all the same ({@link #HANDSHAKE_QUEUE}); past it the loop runs the task itself, as before, so a
 * handshake is never refused for it. The bulk encryption of records still runs on the loop.
 */
public final class X509HandlerFactory implements TlsHandlerFactory {
    /** What a client may be offered: nothing older than 1.2 (RFC 8996 retired 1.0 and 1.1). */
    static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};
    /** A client that starts TLS but does not finish its handshake is dropped after this long. */
    static final long HANDSHAKE_TIMEOUT_MILLIS = 10_000;

    /** Handshake tasks waiting for a thread; more are run by the event loop that asked. */
    static final int HANDSHAKE_QUEUE = 1024;

    private final SslContext context;
    private final PeerVerification verification;
    private final Executor handshakeTasks;

    public X509HandlerFactory(TlsMaterial material, PeerVerification verification) {
        this(material, verification, handshakePool());
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

    /**
     * Up to one thread per core for handshakes, idle threads gone after 30 s (a server that
     * serves no TLS handshake keeps none); daemon threads, so a factory needs no closing.
     */
    private static Executor handshakePool() {
        int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
        AtomicInteger n = new AtomicInteger();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(HANDSHAKE_QUEUE), r -> {
                    Thread t = new Thread(r, "blockhaus-tls-handshake-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                }, new ThreadPoolExecutor.CallerRunsPolicy());
        pool.allowCoreThreadTimeOut(true);
        return pool;
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
