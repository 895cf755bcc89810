package io.blockhaus.client;

import io.grpc.ManagedChannel;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;

/**
 * How a client connects over TLS: the CA that signed the server's certificate (PEM), and for
 * mutual TLS the client's own certificate and key (PEM, the key PKCS#8), whose CN and SANs are
 * its identity for the server's allow lists and {@code --admin}. TLS 1.3 and 1.2, the JDK's TLS.
 *
 * @param trustedCa   the CA file; the JDK's default trust store when empty
 * @param certificate the client certificate chain, for mutual TLS
 * @param key         its private key
 */
public record ClientTls(Optional<Path> trustedCa, Optional<Path> certificate, Optional<Path> key) {

    public ClientTls {
        Objects.requireNonNull(trustedCa, "trustedCa");
        if (certificate.isPresent() != key.isPresent()) {
            throw new IllegalArgumentException("a client certificate needs its key, and a key its certificate");
        }
    }

    /** Server authentication only, against {@code ca}. */
    public static ClientTls trusting(Path ca) {
        return new ClientTls(Optional.of(ca), Optional.empty(), Optional.empty());
    }

    /** The same, presenting {@code cert} and {@code key} to the server (mutual TLS). */
    public ClientTls withClientCertificate(Path cert, Path key) {
        return new ClientTls(trustedCa, Optional.of(cert), Optional.of(key));
    }

    /** The TLS context for a gRPC channel (ALPN h2 set up). */
    public SslContext sslContext() {
        SslContextBuilder b = GrpcSslContexts.forClient().protocols("TLSv1.3", "TLSv1.2");
        trustedCa.ifPresent(ca -> b.trustManager(ca.toFile()));
        if (certificate.isPresent()) {
            b.keyManager(certificate.get().toFile(), key.orElseThrow().toFile());
        }
        try {
            return b.build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot set up TLS: " + e.getMessage(), e);
        }
    }

    /** A channel builder to {@code target} over this TLS. */
    public NettyChannelBuilder channelBuilder(String target) {
        return NettyChannelBuilder.forTarget(target).sslContext(sslContext());
    }

    /** A channel to {@code target} that, like {@link BlockhausClient#connect(String)}'s, never goes idle. */
    ManagedChannel channel(String target) {
        return channelBuilder(target).idleTimeout(30, TimeUnit.DAYS).build();
    }
}
