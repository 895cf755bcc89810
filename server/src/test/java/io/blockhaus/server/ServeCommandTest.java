package io.blockhaus.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.blockhaus.engine.EngineConfig;
import io.blockhaus.engine.IoMode;
import io.blockhaus.engine.VolumeConfig;
import io.blockhaus.engine.lock.LockPolicy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/** Option parsing and the options-to-configuration step; nothing here runs the server. */
class ServeCommandTest {

    @TempDir
    Path tmp;

    /** Parses {@code args} into a serve command whose store factory fails the test if used. */
    static ServeCommand parse(String... args) {
        ServeCommand serve = new ServeCommand((file, size, ro) -> {
            throw new AssertionError("parsing must not open stores");
        }, false);
        new CommandLine(serve).parseArgs(args);
        return serve;
    }

    @Test
    void defaults() {
        ServeCommand serve = parse();
        assertThat(serve.dataDir()).isEqualTo(Path.of("./blockhaus-data"));
        assertThat(serve.nbdListen()).isEqualTo(new HostPort("127.0.0.1", 10809));
        assertThat(serve.grpcListen()).isEqualTo(new HostPort("127.0.0.1", 10810));
        assertThat(serve.metricsListen()).isEqualTo(new HostPort("127.0.0.1", 9464));
        assertThat(serve.cacheSize()).isEqualTo(256L << 20);
        assertThat(serve.exports()).isEmpty();
        assertThat(serve.engineConfig()).isEqualTo(EngineConfig.withCache(256L << 20));
        assertThat(serve.engineConfig().mappedShare()).isEqualTo(0.25);
        assertThat(serve.engineConfig().hugePages()).as("huge pages where the kernel allows").isTrue();
        assertThat(serve.recallTimeout()).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void hugePagesCanBeTurnedOff() {
        assertThat(parse("--huge-pages", "false").engineConfig().hugePages()).isFalse();
        assertThat(parse("--huge-pages", "true").engineConfig().hugePages()).isTrue();
        assertThatThrownBy(() -> parse("--huge-pages", "maybe")).isInstanceOf(ParameterException.class);
    }

    @Test
    void mappedShareAndRecallTimeout() {
        ServeCommand serve = parse("--mapped-share", "0.5", "--recall-timeout", "750ms");
        serve.checkOptions();
        assertThat(serve.engineConfig().mappedShare()).isEqualTo(0.5);
        assertThat(serve.recallTimeout()).isEqualTo(Duration.ofMillis(750));
        assertThat(parse("--recall-timeout", "2m").recallTimeout()).isEqualTo(Duration.ofMinutes(2));

        assertThatThrownBy(() -> parse("--mapped-share", "0").checkOptions()).isInstanceOf(ParameterException.class)
                .hasMessageContaining("--mapped-share: need 0 < FRACTION <= 1, got 0.0");
        assertThatThrownBy(() -> parse("--mapped-share", "1.5").checkOptions()).isInstanceOf(ParameterException.class)
                .hasMessageContaining("--mapped-share");
        assertThatThrownBy(() -> parse("--recall-timeout", "5")).isInstanceOf(ParameterException.class)
                .hasMessageContaining("invalid duration '5'");
        assertThatThrownBy(() -> parse("--recall-timeout", "50ms").checkOptions()).isInstanceOf(ParameterException.class)
                .hasMessageContaining("--recall-timeout: need 100ms to 10m, got 50ms");
    }

    @Test
    void everyOption() {
        ServeCommand serve = parse("--data-dir", "/srv/bh", "--nbd-listen", "0.0.0.0:1", "--grpc-listen=[::1]:2",
                "--metrics-listen", "localhost:3", "--cache-size", "1g",
                "--export", "name=a,size=1M", "--export=name=b,size=2M,io=direct");
        assertThat(serve.dataDir()).isEqualTo(Path.of("/srv/bh"));
        assertThat(serve.nbdListen()).isEqualTo(new HostPort("0.0.0.0", 1));
        assertThat(serve.grpcListen()).isEqualTo(new HostPort("::1", 2));
        assertThat(serve.metricsListen()).isEqualTo(new HostPort("localhost", 3));
        assertThat(serve.cacheSize()).isEqualTo(1L << 30);
        assertThat(serve.exports()).extracting(ExportSpec::name).containsExactly("a", "b");
    }

    @Test
    void theEngineWiringBuildsTheRightConfigs() {
        ServeCommand serve = parse("--data-dir", tmp.toString(), "--cache-size", "64M",
                "--export", "name=fast,size=1G,io=direct,lock=range,page-size=64K",
                "--export", "name=plain,size=4M,path=sub/plain.raw");
        assertThat(serve.engineConfig()).isEqualTo(EngineConfig.withCache(64L << 20));
        List<VolumePlan> plans = serve.volumePlans();
        assertThat(plans).containsExactly(
                new VolumePlan(VolumeConfig.of("fast").withIo(IoMode.DIRECT).withLockPolicy(LockPolicy.RANGE)
                        .withPageSize(65536), tmp.resolve("fast.img"), 1L << 30, true),
                new VolumePlan(VolumeConfig.of("plain"), tmp.resolve("sub/plain.raw"), 4L << 20, true));
        assertThat(ServeConsole.describe(plans.getFirst())).isEqualTo("volume fast: 1G (1073741824 bytes), file "
                + tmp.resolve("fast.img") + " (created), read-write, io direct, lock range, page size 64K");
    }

    @Test
    void withoutExportsTheDefaultVolumeIsPlanned() {
        List<VolumePlan> plans = parse("--data-dir", tmp.toString()).volumePlans();
        assertThat(plans).containsExactly(new VolumePlan(VolumeConfig.of("default"), tmp.resolve("default.img"),
                1L << 30, true));
    }

    @Test
    void badValuesAreParameterErrors() {
        assertThatThrownBy(() -> parse("--cache-size", "lots")).isInstanceOf(ParameterException.class)
                .hasMessageContaining("--cache-size").hasMessageContaining("invalid size 'lots'");
        assertThatThrownBy(() -> parse("--nbd-listen", "10809")).isInstanceOf(ParameterException.class)
                .hasMessageContaining("--nbd-listen").hasMessageContaining("no port");
        assertThatThrownBy(() -> parse("--export", "size=1G")).isInstanceOf(ParameterException.class)
                .hasMessageContaining("--export").hasMessageContaining("missing name=NAME");
        assertThatThrownBy(() -> parse("--export")).isInstanceOf(ParameterException.class);
        assertThatThrownBy(() -> parse("--frobnicate")).isInstanceOf(ParameterException.class);
        assertThatThrownBy(() -> parse("--metrics-listen", "9464")).isInstanceOf(ParameterException.class)
                .hasMessageContaining("--metrics-listen").hasMessageContaining("no port").hasMessageContaining("or 'off'");
    }

    @Test
    void metricsCanBeTurnedOffAndThenTakeNoAddress() {
        assertThat(parse("--metrics-listen", "off").metricsListen()).isNull();
        assertThat(parse("--metrics-listen", "OFF").metricsListen()).isNull();
        // Off, the default metrics port is no one's: NBD may have it.
        ServeCommand serve = parse("--metrics-listen", "off", "--nbd-listen", "127.0.0.1:9464");
        serve.checkOptions();
        assertThatThrownBy(() -> parse("--nbd-listen", "127.0.0.1:9464").checkOptions())
                .isInstanceOf(ParameterException.class).hasMessageContaining("127.0.0.1:9464");
    }
}
