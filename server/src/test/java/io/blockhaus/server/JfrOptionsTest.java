package io.blockhaus.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/** {@code --jfr-lock-wait-threshold}: its default, its range, and that serve takes it. */
class JfrOptionsTest {
    private static JfrOptions parse(String... args) {
        JfrOptions o = new JfrOptions();
        new CommandLine(o).parseArgs(args);
        return o;
    }

    @Test
    void defaultsToTenMillisecondsAndTakesZeroToTenMinutes() {
        assertThat(parse().lockWaitThreshold()).isEqualTo(Duration.ofMillis(10));
        assertThat(parse("--jfr-lock-wait-threshold", "0ms").lockWaitThreshold()).isZero();
        assertThat(parse("--jfr-lock-wait-threshold", "10m").lockWaitThreshold()).isEqualTo(Duration.ofMinutes(10));
        assertThatThrownBy(() -> parse("--jfr-lock-wait-threshold", "11m")).isInstanceOf(ParameterException.class)
                .hasMessageContaining("need 0ms to 10m, got 11m");
        assertThatThrownBy(() -> parse("--jfr-lock-wait-threshold", "-1ms")).isInstanceOf(ParameterException.class)
                .hasMessageContaining("invalid duration");
    }

    @Test
    void serveTakesTheOption() {
        ServeCommand serve = new ServeCommand((file, size, ro) -> {
            throw new AssertionError("parsing must not open stores");
        }, false);
        CommandLine cl = new CommandLine(serve);
        cl.parseArgs("--jfr-lock-wait-threshold", "250ms");
        assertThat(cl.getCommandSpec().findOption("--jfr-lock-wait-threshold").<Duration>getValue())
                .isEqualTo(Duration.ofMillis(250));
    }
}
