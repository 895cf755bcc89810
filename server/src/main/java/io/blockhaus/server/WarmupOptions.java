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
 * Off by default: a server that listens at once is what an operator expects, and the gain is the
 * first seconds only (docs/benchmarks/warm-2026-12-06.md: quietly, {@code 2s} made a fresh
 * server's first five seconds 1.15-1.32x faster and listening 2.5-3 s later). Turning it on is the
 * operator's trade.
 */
public final class WarmupOptions {
    /** The longest warm-up accepted: the JIT has done its work long before. */
    static final Duration MAX = Duration.ofSeconds(60);

    @Option(names = "--warmup", paramLabel = "DURATION", defaultValue = "0", converter = WarmupConverter.class,
            description = "Before listening, send the server's own request path NBD traffic for this long over a"
                    + " private scratch volume (removed after), so a client arriving at start is served by compiled"
                    + " code; the exported volumes are not touched. 0 for none: 0 to 60s (e.g. 2s).")
    private Duration warmup = Duration.ZERO;

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
