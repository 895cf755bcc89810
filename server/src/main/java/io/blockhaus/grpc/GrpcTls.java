package io.blockhaus.grpc;

import io.blockhaus.tls.PeerVerification;
import io.blockhaus.tls.TlsConfigException;
import io.blockhaus.tls.TlsMaterial;
import io.grpc.netty.GrpcSslContexts;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLException;

/**
 * The gRPC port's TLS context from the same key material as NBD's X.509 TLS: the JDK's TLS
 * (as NBD uses), TLS 1.3 and 1.2, HTTP/2 by ALPN (grpc-netty's settings), client certificates
 * verified against {@code --tls-ca} and required with {@code --tls-verify-peer}.
 */
public final class GrpcTls {
    private GrpcTls() {
    }

    public static SslContext serverContext(TlsMaterial material, PeerVerification verification) {
        SslContextBuilder b = GrpcSslContexts.configure(
                SslContextBuilder.forServer(material.key(), material.chain().toArray(X509Certificate[]::new)),
                SslProvider.JDK)
                .protocols("TLSv1.3", "TLSv1.2")
                .clientAuth(switch (verification) {
                    case NONE -> ClientAuth.NONE;
                    case OPTIONAL -> ClientAuth.OPTIONAL;
                    case REQUIRED -> ClientAuth.REQUIRE;
                });
        if (verification != PeerVerification.NONE) {
            b.trustManager(material.trusted().toArray(X509Certificate[]::new));
        }
        try {
            return b.build();
        } catch (SSLException e) {
            throw new TlsConfigException("cannot set up gRPC TLS with --tls-cert/--tls-key: " + e.getMessage(), e);
        }
    }
}
