package io.blockhaus.metrics.http;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The metrics listener: the JDK's HTTP server answering {@link Routes} on a pool of
 * {@value #THREADS} threads of its own, so a scrape (which walks every meter) never runs on an NBD
 * or gRPC event loop and never takes a thread an I/O needs. Bounded: {@value #QUEUE} exchanges may
 * wait for a thread; beyond that the JDK server closes the new connection (its dispatcher closes a
 * connection whose exchange the executor refuses), which a scraper retries at its next interval.
 *
 * <p>Plain HTTP, or HTTPS when given an {@link HttpsConfigurator} (its SSL context and
 * parameters decide the protocols and whether a client certificate is required); never both on
 * one port, so a scraper that forgot TLS fails its handshake instead of reading metrics in the
 * clear. The JDK server runs each handshake on the exchange's pool thread, not its dispatcher.
 */
public final class MetricsHttpServer implements AutoCloseable {
    static final int THREADS = 2;
    static final int QUEUE = 16;
    /** Seconds {@link #close} lets exchanges in progress finish before it drops them. */
    private static final int STOP_SECONDS = 1;

    private final HttpServer server;
    private final ThreadPoolExecutor pool;

    private MetricsHttpServer(HttpServer server, ThreadPoolExecutor pool) {
        this.server = server;
        this.pool = pool;
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
        ThreadPoolExecutor pool = new ThreadPoolExecutor(THREADS, THREADS, 60, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(QUEUE), Thread.ofPlatform().name("blockhaus-metrics-http-", 0).daemon().factory(),
                new ThreadPoolExecutor.AbortPolicy());
        pool.allowCoreThreadTimeOut(true); // idle between scrapes: no threads parked for nothing
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
            pool.shutdown();
            throw new UncheckedIOException(e.getMessage() == null ? e.toString() : e.getMessage(), e);
        }
        server.setExecutor(pool);
        server.createContext("/", new Routes(registry, beforeScrape, readiness));
        server.start();
        return new MetricsHttpServer(server, pool);
    }

    /** The bound address (the real port when 0 was asked). */
    public InetSocketAddress address() {
        return server.getAddress();
    }

    /** Stops listening, lets exchanges in progress finish for a second, and stops the pool. Idempotent. */
    @Override
    public void close() {
        if (pool.isShutdown()) {
            return;
        }
        server.stop(STOP_SECONDS);
        pool.shutdownNow();
    }
}
