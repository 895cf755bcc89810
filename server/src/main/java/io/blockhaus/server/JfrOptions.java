package io.blockhaus.server;

import io.blockhaus.metrics.EngineMetrics;
import java.time.Duration;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/**
 * The serve command's JDK Flight Recorder option: which pagecache-lock waits become
 * {@code io.blockhaus.LockWait} events in a running recording (docs/metrics.md says how to
 * record one). Checked as it is parsed, so a bad value is a usage error before anything starts.
 */
public final class JfrOptions {
    /** The longest threshold accepted: a wait longer than that has timed out long before (30 s by default). */
    static final Duration MAX = Duration.ofMinutes(10);

    @Option(names = "--jfr-lock-wait-threshold", paramLabel = "DURATION", defaultValue = "10ms",
            converter = ThresholdConverter.class,
            description = "Pagecache-lock waits at least this long are recorded as io.blockhaus.LockWait events"
                    + " when a JDK Flight Recorder recording runs (0ms: every wait): 0ms to 10m.")
    private Duration lockWaitThreshold = EngineMetrics.DEFAULT_JFR_LOCK_WAIT_THRESHOLD;

    public Duration lockWaitThreshold() {
        return lockWaitThreshold;
    }

    /** A duration as {@link OptionConverters.DurationConverter} reads it, within 0ms..10m. */
    static final class ThresholdConverter implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            Duration d = new OptionConverters.DurationConverter().convert(value);
            if (d.compareTo(MAX) > 0) {
                throw new TypeConversionException("need 0ms to 10m, got " + value);
            }
            return d;
        }
    }
}
