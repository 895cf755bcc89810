package io.blockhaus.metrics.http;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;

/**
 * The metrics listener: the JDK's HTTP server answering {@link Routes}, each exchange on a virtual
 * thread of its own ({@link BoundedExchanges}), so a scrape (which walks every meter) never runs
 * on an NBD or gRPC event loop and never takes a thread an I/O needs. Bounded: at most
 * {@value #MAX_EXCHANGES} exchanges at once (beyond that the JDK server closes the new connection,
 * which a scraper retries at its next interval), each ended by a deadline ({@link #DEADLINE}), so
 * clients that send half a request and stop cannot keep {@code /healthz} from answering: they
 * hold virtual threads, not the server's threads, and only until the deadline.
 *
 * <p>Plain HTTP, or HTTPS when given an {@link HttpsConfigurator} (its SSL context and
 * parameters decide the protocols and whether a client certificate is required); never both on
 * one port, so a scraper that forgot TLS fails its handshake instead of reading metrics in the
 * clear. The JDK server runs each handshake on the exchange's thread, not its dispatcher, so the
 * deadline covers a handshake that stalls too.
 */
public final class MetricsHttpServer implements AutoCloseable {
    static final int MAX_EXCHANGES = 16;
    /** How long one exchange (request, handler, response) may take; Prometheus's default scrape timeout. */
    static final Duration DEADLINE = Duration.ofSeconds(10);
    /** Seconds {@link #close} lets exchanges in progress finish before it drops them. */
    private static final int STOP_SECONDS = 1;

    private final HttpServer server;
    private final BoundedExchanges exchanges;
    private volatile boolean closed;

    private MetricsHttpServer(HttpServer server, BoundedExchanges exchanges) {
        this.server = server;
        this.exchanges = exchanges;
    }

    /** Binds {@code listen} and serves plain HTTP. */
    public static MetricsHttpServer start(InetSocketAddress listen, PrometheusMeterRegistry registry,
            Runnable beforeScrape, Readiness readiness) {
        return start(listen, Optional.empty(), registry, beforeScrape, readiness);
    }

    /**
     * Binds {@code listen} and serves, over HTTPS when {@code https} is present.
     *
     * @param beforeScrape run on the scrape thread before each {@code /metrics} (gauges that follow
     *                     a changing set, such as the volumes, bring themselves up to date)
     * @throws UncheckedIOException when the address cannot be bound
     */
    public static MetricsHttpServer start(InetSocketAddress listen, Optional<HttpsConfigurator> https,
            PrometheusMeterRegistry registry, Runnable beforeScrape, Readiness readiness) {
        return start(listen, https, registry, beforeScrape, readiness, MAX_EXCHANGES, DEADLINE);
    }

    /** {@link #start(InetSocketAddress, Optional, PrometheusMeterRegistry, Runnable, Readiness)} with other bounds (tests). */
    static MetricsHttpServer start(InetSocketAddress listen, Optional<HttpsConfigurator> https,
            PrometheusMeterRegistry registry, Runnable beforeScrape, Readiness readiness, int maxExchanges,
            Duration deadline) {
        BoundedExchanges exchanges = new BoundedExchanges(maxExchanges, deadline);
        HttpServer server;
        try {
            if (https.isPresent()) {
                HttpsServer tls = HttpsServer.create(listen, 0);
                tls.setHttpsConfigurator(https.get());
                server = tls;
            } else {
                server = HttpServer.create(listen, 0);
            }
        } catch (IOException e) {
            exchanges.close();
            throw new UncheckedIOException(e.getMessage() == null ? e.toString() : e.getMessage(), e);
        }
        server.setExecutor(exchanges);
        server.createContext("/", new Routes(registry, beforeScrape, readiness));
        server.start();
        return new MetricsHttpServer(server, exchanges);
    }

    /** Exchanges running now (tests). */
    int runningExchanges() {
        return exchanges.running();
    }

    /** The bound address (the real port when 0 was asked). */
    public InetSocketAddress address() {
        return server.getAddress();
    }

    /** Stops listening, lets exchanges in progress finish for a second, and stops the pool. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        server.stop(STOP_SECONDS);
        exchanges.close();
    }
}
