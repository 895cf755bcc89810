package io.blockhaus.metrics.frontend;

import io.blockhaus.limits.RefusalReason;
import io.blockhaus.limits.Refusals;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;

/**
 * The front ends' meters as docs/metrics.md names them, built in one place so NBD and gRPC
 * cannot drift apart: {@code blockhaus.frontend.bytes}, {@code .connections}, {@code .malformed},
 * {@code .refused}, {@code .disconnects}. {@code blockhaus.requests} is not a Micrometer meter: {@link RequestHistograms}. Registering is a
 * map look-up in the registry: callers build once and keep the meter, never per request.
 */
public final class FrontendMeters {
    public static final String BYTES = "blockhaus.frontend.bytes";
    public static final String CONNECTIONS = "blockhaus.frontend.connections";
    public static final String MALFORMED = "blockhaus.frontend.malformed";
    public static final String REFUSED = "blockhaus.frontend.refused";
    public static final String DISCONNECTS = "blockhaus.frontend.disconnects";

    private FrontendMeters() {
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

    /** {@code blockhaus.frontend.refused{frontend, reason}}: one function counter per reason, read from {@code refusals}. */
    public static void refusals(MeterRegistry registry, Refusals refusals) {
        for (RefusalReason reason : RefusalReason.values()) {
            FunctionCounter.builder(REFUSED, refusals, r -> r.count(reason))
                    .description("connections or requests refused by a limit or by access control")
                    .tags("frontend", refusals.frontend(), "reason", reason.label())
                    .register(registry);
        }
    }
}
