package io.blockhaus.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.blockhaus.grpc.GrpcLimits;
import io.blockhaus.nbd.NbdConnectionLimits;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/** The limit options of {@code serve}: their defaults, their effect on each front end's configuration, their bounds. */
class LimitOptionsTest {

    private static ServeCommand parse(String... args) {
        return ServeCommandTest.parse(args);
    }

    private static LimitOptions limits(String... args) {
        LimitOptions o = new LimitOptions();
        new CommandLine(new Holder(o)).parseArgs(args);
        return o;
    }

    @CommandLine.Command(name = "holder")
    private static final class Holder {
        @CommandLine.Mixin
        LimitOptions limits;

        Holder(LimitOptions limits) {
            this.limits = limits;
        }
    }

    @Test
    void defaultsAreTheFrontEndsOwn() {
        LimitOptions o = limits();
        assertThat(o.grpcLimits()).isEqualTo(GrpcLimits.DEFAULTS);
        assertThat(o.nbdConnectionLimits()).isEqualTo(NbdConnectionLimits.DEFAULTS);
        var nbd = parse().nbdConfig();
        assertThat(nbd.maxConnections()).isEqualTo(256);
        assertThat(nbd.handshakeTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(nbd.maxPayload()).isEqualTo(32 << 20);
    }

    @Test
    void everyLimitReachesItsFrontEnd() {
        ServeCommand serve = parse("--nbd-max-connections", "10", "--nbd-max-connections-per-source", "3",
                "--nbd-handshake-timeout", "2s", "--nbd-idle-timeout", "1m", "--nbd-max-request", "1M",
                "--grpc-max-message", "2M", "--grpc-max-calls-per-connection", "7", "--grpc-call-queue", "5",
                "--grpc-permit-keepalive", "30s", "--grpc-max-connection-idle", "5m", "--grpc-max-handles", "9",
                "--grpc-max-handles-per-client", "4", "--grpc-max-mappings-per-handle", "6");
        serve.checkOptions();
        var nbd = serve.nbdConfig();
        assertThat(nbd.maxConnections()).isEqualTo(10);
        assertThat(nbd.handshakeTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(nbd.maxPayload()).isEqualTo(1 << 20);
        LimitOptions o = limits("--nbd-max-connections-per-source", "3", "--nbd-idle-timeout", "1m",
                "--grpc-max-message", "2M", "--grpc-max-calls-per-connection", "7", "--grpc-call-queue", "5",
                "--grpc-permit-keepalive", "30s", "--grpc-max-connection-idle", "5m", "--grpc-max-handles", "9",
                "--grpc-max-handles-per-client", "4", "--grpc-max-mappings-per-handle", "6");
        assertThat(o.nbdConnectionLimits()).isEqualTo(new NbdConnectionLimits(3, Duration.ofMinutes(1)));
        assertThat(o.grpcLimits()).isEqualTo(new GrpcLimits(2 << 20, 7, 5, Duration.ofSeconds(30),
                Duration.ofMinutes(5), 9, 4, 6));
        assertThat(limits("--grpc-max-connections", "5", "--grpc-max-connections-per-source", "2").grpcLimits())
                .isEqualTo(GrpcLimits.DEFAULTS.withConnections(5, 2));
        assertThat(limits().grpcLimits().payloadBudget()).isEqualTo(256L << 20);
        assertThat(limits("--grpc-payload-budget", "64M").grpcLimits())
                .isEqualTo(GrpcLimits.DEFAULTS.withPayloadBudget(64L << 20));
    }

    @Test
    void outOfRangeValuesAreUsageErrors() {
        assertThatThrownBy(() -> parse("--nbd-max-request", "64M").checkOptions()).isInstanceOf(ParameterException.class)
                .hasMessageContaining("--nbd-max-request: need 4K to 32M");
        assertThatThrownBy(() -> parse("--nbd-handshake-timeout", "50ms").checkOptions())
                .isInstanceOf(ParameterException.class).hasMessageContaining("--nbd-handshake-timeout");
        assertThatThrownBy(() -> parse("--nbd-max-connections-per-source", "0").checkOptions())
                .isInstanceOf(ParameterException.class).hasMessageContaining("connections per source");
        assertThatThrownBy(() -> parse("--grpc-max-message", "64K").checkOptions())
                .isInstanceOf(ParameterException.class).hasMessageContaining("at least 1114112");
        assertThatThrownBy(() -> parse("--grpc-max-handles-per-client", "0").checkOptions())
                .isInstanceOf(ParameterException.class).hasMessageContaining("gRPC limits");
        assertThatThrownBy(() -> parse("--grpc-payload-budget", "2M").checkOptions())
                .isInstanceOf(ParameterException.class).hasMessageContaining("at least twice the largest message");
        assertThatThrownBy(() -> parse("--nbd-max-connections", "0").checkOptions())
                .isInstanceOf(ParameterException.class).hasMessageContaining("--nbd-max-connections");
    }
}
