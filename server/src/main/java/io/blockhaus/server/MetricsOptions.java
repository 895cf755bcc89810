package io.blockhaus.server;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/** {@code serve}'s metrics options (a picocli mixin, so the serve command keeps to its own). */
public final class MetricsOptions {

    @Option(names = "--metrics-listen", paramLabel = "HOST:PORT|off", defaultValue = "127.0.0.1:9464",
            converter = ListenConverter.class,
            description = "Metrics listen address: /metrics (Prometheus text, or OpenMetrics when asked), /healthz,"
                    + " /readyz over HTTP; 'off' serves none and records no metrics.")
    private HostPort listen;

    /** Where to serve metrics; null for {@code off}. */
    HostPort listen() {
        return listen;
    }

    /** {@code HOST:PORT}, or {@code off} (case-insensitive), which converts to null. */
    static final class ListenConverter implements ITypeConverter<HostPort> {
        @Override
        public HostPort convert(String value) {
            if (value.strip().equalsIgnoreCase("off")) {
                return null;
            }
            try {
                return HostPort.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage() + " (or 'off')");
            }
        }
    }
}
