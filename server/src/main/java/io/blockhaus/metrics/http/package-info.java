/**
 * The metrics HTTP endpoint: {@code /metrics} (Prometheus text 0.0.4, or OpenMetrics 1.0 when the
 * scraper's Accept header asks for it), {@code /healthz} and {@code /readyz}, served by the JDK's
 * {@code com.sun.net.httpserver}, each exchange on a virtual thread of its own with a deadline
 * ({@link io.blockhaus.metrics.http.BoundedExchanges}), over plain HTTP or (given an
 * {@code HttpsConfigurator}: {@code --metrics-tls}) HTTPS only. Its own package because it is
 * the one place that speaks HTTP: it knows a registry to scrape and a readiness check, nothing of
 * volumes, NBD or gRPC, and nothing here runs on a Netty event loop.
 */
package io.blockhaus.metrics.http;
