package io.blockhaus.server;

import io.blockhaus.engine.EngineConfig;
import io.blockhaus.nbd.NbdServerConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/**
 * The serve command's start-up warm-up option ({@link StartupWarmup}: why, and what it touches).
 * A failed warm-up is said on stderr and serving goes on: it only makes the first seconds faster.
 *
 * <p>On by default, for {@value #DEFAULT_SECONDS} s: measured quietly over 20 five-second rounds
 * right after start (docs/benchmarks.md, "Open targets"), with the page cache prefaulted
 * ({@code --cache-prefault}, also on by default) a fresh server served 4 KiB random reads at
 * 1.25x its rate without a warm-up and 1.17x nbd-server's in the same minutes; without it, 0.93x.
 * A longer warm-up bought nothing more ({@code 3s}: 1.02x {@code 2s} in one run). The price is
 * readiness: the listeners open about 2.5 s later, and {@code /readyz} says 503 meanwhile. An
 * operator who wants a server that listens at once says {@code --warmup 0}.
 */
public final class WarmupOptions {
    /** The default warm-up, in seconds (see the class comment). */
    static final int DEFAULT_SECONDS = 2;
    /** The longest warm-up accepted: the JIT has done its work long before. */
    static final Duration MAX = Duration.ofSeconds(60);

    @Option(names = "--warmup", paramLabel = "DURATION", defaultValue = "2s", converter = WarmupConverter.class,
            description = "Before listening, send the server's own request path NBD traffic for this long over a"
                    + " private scratch volume (removed after), so a client arriving at start is served by compiled"
                    + " code; the exported volumes are not touched. 0 to 60s; 0 for none, to listen at once.")
    private Duration warmup = Duration.ofSeconds(DEFAULT_SECONDS);

    Duration duration() {
        return warmup;
    }

    /** Runs the warm-up unless it is 0, saying what it did on {@code out} (or why it failed on {@code err}). */
    void runBeforeListening(Path dataDir, StoreFactory stores, EngineConfig engine, boolean metricsOn,
            Duration jfrLockWaitThreshold, NbdServerConfig nbd, PrintWriter out, PrintWriter err) {
        if (warmup.isZero()) {
            return;
        }
        try {
            out.println(StartupWarmup.run(warmup, dataDir, stores, engine, metricsOn, jfrLockWaitThreshold, nbd).describe());
        } catch (IOException | RuntimeException e) {
            err.println("blockhaus: warm-up failed, serving without it: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // a stop during start-up: the next step sees it
        }
    }

    /** A duration as {@link OptionConverters.DurationConverter} reads it, or {@code 0}, within 0..60s. */
    static final class WarmupConverter implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            Duration d = value.trim().equals("0") ? Duration.ZERO : new OptionConverters.DurationConverter().convert(value);
            if (d.compareTo(MAX) > 0) {
                throw new TypeConversionException("need 0 to 60s, got " + value);
            }
            return d;
        }
    }
}
