package io.blockhaus.server;

import io.blockhaus.grpc.GrpcSecurity;
import io.blockhaus.grpc.GrpcTls;
import io.blockhaus.tls.ExportAccess;
import io.blockhaus.tls.PeerVerification;
import io.blockhaus.tls.TlsConfig;
import io.blockhaus.tls.TlsConfigException;
import io.blockhaus.tls.TlsMode;
import io.netty.handler.ssl.SslContext;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import picocli.CommandLine.Option;

/**
 * The serve command's gRPC security: {@code --admin}, and how the TLS options apply to the gRPC
 * port, which has no STARTTLS. With a certificate ({@code --tls-cert}) and {@code --tls on} or
 * {@code require}, the gRPC port is TLS only: one port cannot serve both without sniffing the
 * first bytes, and a client that asked for TLS must not be answered in the clear. gRPC has no
 * TLS-PSK: with {@code --tls-psk} the gRPC port stays plaintext, which {@code --tls require}
 * accepts only on a loopback address.
 */
final class GrpcAccessOptions {

    @Option(names = "--admin", paramLabel = "IDENTITY", split = ",",
            description = "Identities (client certificate CN or SAN) that may create, delete and resize volumes"
                    + " over gRPC; needs --tls-cert, --tls-ca and --tls-verify-peer. Without it, admin RPCs are"
                    + " allowed from the server's own host only.")
    private List<String> admins = new ArrayList<>();

    /** @throws TlsConfigException for a combination that cannot hold (exit 2) */
    GrpcSecurity security(TlsConfig tls, HostPort grpcListen) {
        if (!admins.isEmpty() && (tls.certificate().isEmpty() || tls.verification() == PeerVerification.NONE)) {
            throw new TlsConfigException("--admin names client certificate identities: it needs --tls on|require"
                    + " with --tls-cert, --tls-key, --tls-ca and --tls-verify-peer (no identity could be proven)");
        }
        Optional<SslContext> ssl = Optional.empty();
        if (tls.enabled() && tls.certificate().isPresent()) {
            ssl = Optional.of(GrpcTls.serverContext(tls.certificate().get(), tls.verification()));
        } else if (tls.mode() == TlsMode.REQUIRE && !loopback(grpcListen)) {
            throw new TlsConfigException("--tls require with --tls-psk: gRPC has no TLS-PSK, so its port would be"
                    + " in the clear; bind it to loopback (--grpc-listen 127.0.0.1:PORT) or use --tls-cert");
        }
        return new GrpcSecurity(ssl, ExportAccess.OPEN, Set.copyOf(admins));
    }

    private static boolean loopback(HostPort listen) {
        try {
            return InetAddress.getByName(listen.host()).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
