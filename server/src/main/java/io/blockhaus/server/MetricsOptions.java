package io.blockhaus.server;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import io.blockhaus.tls.JdkTls;
import io.blockhaus.tls.TlsConfigException;
import io.blockhaus.tls.TlsOptions;
import java.time.Instant;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code serve}'s metrics options (a picocli mixin, so the serve command keeps to its own).
 *
 * <p>{@code --metrics-tls} serves the endpoint over HTTPS with the certificate of
 * {@code --tls-cert}/{@code --tls-key}, and requires client certificates chaining to
 * {@code --tls-ca} under {@code --tls-verify-peer}. It needs the certificate options, not
 * {@code --tls on|require}: each port's TLS is its own choice (the metrics port is the one a
 * Prometheus on another host reaches, while NBD may stay on loopback or a storage network), and
 * the certificate is only key material they share. TLS-PSK cannot serve it: Prometheus has none.
 */
public final class MetricsOptions {

    @Option(names = "--metrics-listen", paramLabel = "HOST:PORT|off", defaultValue = "127.0.0.1:9464",
            converter = ListenConverter.class,
            description = "Metrics listen address: /metrics (Prometheus text, or OpenMetrics when asked), /healthz,"
                    + " /readyz over HTTP; 'off' serves none and records no metrics.")
    private HostPort listen;

    @Option(names = "--metrics-tls",
            description = "Serve the metrics endpoint over HTTPS (TLS 1.3/1.2) with --tls-cert/--tls-key;"
                    + " with --tls-verify-peer, scrapers need a client certificate from --tls-ca. Needs no --tls on.")
    private boolean tls;

    /** Whether the endpoint serves HTTPS ({@code --metrics-tls}). */
    boolean tls() {
        return tls;
    }

    /**
     * Rejects {@code --metrics-tls} without a port or a certificate, then the TLS options as they
     * are used (the certificate options count as used with {@code --metrics-tls} even when NBD's
     * TLS is off). Reads no file.
     *
     * @throws TlsConfigException one line for the operator
     */
    void check(TlsOptions tlsOptions) {
        if (tls && listen == null) {
            throw new TlsConfigException("--metrics-tls needs a metrics port: not with --metrics-listen off");
        }
        if (tls && !tlsOptions.hasCertificate()) {
            throw new TlsConfigException("--metrics-tls needs --tls-cert and --tls-key (Prometheus cannot use --tls-psk)");
        }
        tlsOptions.check(tls);
    }

    /**
     * The HTTPS settings of the endpoint from the TLS options' files as of {@code now}; empty
     * without {@code --metrics-tls}.
     *
     * @throws TlsConfigException naming the option and the file when the files cannot be used
     */
    Optional<HttpsConfigurator> https(TlsOptions tlsOptions, Instant now) {
        if (!tls) {
            return Optional.empty();
        }
        SSLContext context = JdkTls.context(tlsOptions.certificate(now));
        SSLParameters parameters = JdkTls.serverParameters(context, tlsOptions.verification());
        return Optional.of(new HttpsConfigurator(context) {
            @Override
            public void configure(HttpsParameters p) {
                p.setSSLParameters(parameters); // else the JDK's defaults: no client certificate asked for
            }
        });
    }

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
