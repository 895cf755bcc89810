package io.blockhaus.grpc;

import io.blockhaus.tls.PeerVerification;
import io.blockhaus.tls.TlsConfigException;
import io.blockhaus.tls.TlsMaterial;
import io.blockhaus.tls.X509HandlerFactory;
import io.grpc.netty.GrpcSslContexts;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslProvider;
import javax.net.ssl.SSLException;

/**
 * The gRPC port's TLS context from the same key material and settings as NBD's X.509 TLS (the
 * JDK's TLS, TLS 1.3 and 1.2, client certificates verified against {@code --tls-ca} and
 * required with {@code --tls-verify-peer}), plus what gRPC needs: HTTP/2 by ALPN and its
 * cipher list (grpc-netty's settings).
 */
public final class GrpcTls {
    private GrpcTls() {
    }

    public static SslContext serverContext(TlsMaterial material, PeerVerification verification) {
        try {
            return GrpcSslContexts.configure(X509HandlerFactory.serverContextBuilder(material, verification),
                    SslProvider.JDK).build();
        } catch (SSLException e) {
            throw new TlsConfigException("cannot set up gRPC TLS with --tls-cert/--tls-key: " + e.getMessage(), e);
        }
    }
}
