package io.blockhaus.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.blockhaus.grpc.GrpcSecurity;
import io.blockhaus.tls.PskFile;
import io.blockhaus.tls.TlsConfig;
import io.blockhaus.tls.TlsConfigException;
import io.blockhaus.tls.TlsMode;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** How the TLS options reach the gRPC port, which has neither STARTTLS nor TLS-PSK. */
class GrpcAccessOptionsTest {
    private static final PskFile KEYS = PskFile.parse(Path.of("keys.psk"), "alice:" + "ab".repeat(32) + "\n");

    private static GrpcAccessOptions options(String... args) {
        return CommandLine.populateCommand(new GrpcAccessOptions(), args);
    }

    @Test
    void withoutTlsGrpcIsPlaintextAndAdminStaysOnThisHost() {
        GrpcSecurity s = options().security(TlsConfig.OFF, HostPort.parse("0.0.0.0:10810"));
        assertThat(s.ssl()).isEmpty();
        assertThat(s.admins()).isEmpty();
    }

    @Test
    void adminWithoutClientCertificatesCouldNeverMatchAndIsRefused() {
        assertThatThrownBy(() -> options("--admin", "root,ops").security(TlsConfig.OFF, HostPort.parse("127.0.0.1:0")))
                .isInstanceOf(TlsConfigException.class).hasMessageContaining("--tls-verify-peer");
        assertThatThrownBy(() -> options("--admin", "root").security(TlsConfig.psk(TlsMode.REQUIRE, KEYS),
                HostPort.parse("127.0.0.1:0"))).isInstanceOf(TlsConfigException.class);
    }

    @Test
    void requireWithPskKeepsPlaintextGrpcOnLoopbackOnly() {
        assertThat(options().security(TlsConfig.psk(TlsMode.REQUIRE, KEYS), HostPort.parse("127.0.0.1:10810")).ssl())
                .isEmpty();
        assertThatThrownBy(() -> options().security(TlsConfig.psk(TlsMode.REQUIRE, KEYS), HostPort.parse("0.0.0.0:10810")))
                .isInstanceOf(TlsConfigException.class).hasMessageContaining("gRPC has no TLS-PSK");
        assertThat(options().security(TlsConfig.psk(TlsMode.ON, KEYS), HostPort.parse("0.0.0.0:10810")).ssl())
                .as("on: opportunistic, as NBD's").isEmpty();
    }
}
