package io.blockhaus.metrics.frontend;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;

/**
 * The front ends' meters as docs/metrics.md names them, built in one place so NBD and gRPC
 * cannot drift apart: {@code blockhaus.requests} (a timer with a histogram from 1 µs to 60 s),
 * {@code blockhaus.frontend.bytes}, {@code .connections}, {@code .malformed}. Registering is a
 * map look-up in the registry: callers build once and keep the meter, never per request.
 */
public final class FrontendMeters {
    public static final String REQUESTS = "blockhaus.requests";
    public static final String BYTES = "blockhaus.frontend.bytes";
    public static final String CONNECTIONS = "blockhaus.frontend.connections";
    public static final String MALFORMED = "blockhaus.frontend.malformed";
    /** Histogram range of every {@code blockhaus.*} timer (docs/metrics.md). */
    public static final Duration HISTOGRAM_MIN = Duration.ofNanos(1_000);
    public static final Duration HISTOGRAM_MAX = Duration.ofSeconds(60);

    private FrontendMeters() {
    }

    public static Timer requests(MeterRegistry registry, String frontend, String volume, String op, String outcome) {
        return Timer.builder(REQUESTS)
                .description("requests by op and outcome")
                .tags(Tags.of("frontend", frontend, "volume", volume, "op", op, "outcome", outcome))
                .publishPercentileHistogram()
                .minimumExpectedValue(HISTOGRAM_MIN)
                .maximumExpectedValue(HISTOGRAM_MAX)
                .register(registry);
    }

    /** Payload bytes; {@code direction} is {@code in} (from clients) or {@code out}. */
    public static Counter bytes(MeterRegistry registry, String frontend, String volume, String direction) {
        return Counter.builder(BYTES)
                .description("payload bytes")
                .baseUnit("bytes")
                .tags(Tags.of("frontend", frontend, "volume", volume, "direction", direction))
                .register(registry);
    }

    public static Counter malformed(MeterRegistry registry, String frontend) {
        return Counter.builder(MALFORMED)
                .description("requests refused as malformed")
                .tag("frontend", frontend)
                .register(registry);
    }
}
