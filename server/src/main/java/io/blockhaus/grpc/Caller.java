package io.blockhaus.grpc;

import io.blockhaus.tls.PeerIdentity;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Who is calling: the identity the connection's TLS handshake proved (a verified client
 * certificate's subject CN and SANs, else anonymous), and whether the call came from this host.
 * {@link #interceptor()} reads both from the call's transport attributes into the call's
 * {@link Context}; the services ask {@link #current()}.
 *
 * @param identity the peer's identity for allow lists and {@code --admin}
 * @param local    the connection comes from a loopback address, or from inside the process
 */
record Caller(PeerIdentity identity, boolean local) {

    private static final Context.Key<Caller> KEY = Context.key("blockhaus-caller");
    /** A call that passed no interceptor (in-process tests that build their own server). */
    private static final Caller IN_PROCESS = new Caller(PeerIdentity.ANONYMOUS, true);

    static Caller current() {
        Caller c = KEY.get();
        return c == null ? IN_PROCESS : c;
    }

    static ServerInterceptor interceptor() {
        return new ServerInterceptor() {
            @Override
            public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call,
                    Metadata headers, ServerCallHandler<ReqT, RespT> next) {
                Caller caller = of(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION),
                        call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR));
                return Contexts.interceptCall(Context.current().withValue(KEY, caller), call, headers, next);
            }
        };
    }

    static Caller of(SSLSession session, SocketAddress remote) {
        // Only a TCP peer can be remote; the in-process transport's address is this process.
        boolean local = !(remote instanceof InetSocketAddress inet)
                || (inet.getAddress() != null && inet.getAddress().isLoopbackAddress());
        return new Caller(identityOf(session), local);
    }

    /**
     * The verified client certificate's identity. The session only holds peer certificates the
     * trust manager accepted (an untrusted one fails the handshake), so no check is repeated here.
     */
    private static PeerIdentity identityOf(SSLSession session) {
        if (session == null) {
            return PeerIdentity.ANONYMOUS;
        }
        try {
            Certificate[] chain = session.getPeerCertificates();
            return chain.length > 0 && chain[0] instanceof X509Certificate x
                    ? PeerIdentity.Certificate.of(x) : PeerIdentity.ANONYMOUS;
        } catch (SSLPeerUnverifiedException e) {
            return PeerIdentity.ANONYMOUS;
        }
    }
}
