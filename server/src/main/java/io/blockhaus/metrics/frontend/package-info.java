/**
 * Meters of the serving side, bound to what the front ends report: NBD requests (through the NBD
 * server's Micrometer-free event interface), gRPC calls (a server interceptor and transport
 * filter), and the {@code blockhaus.volume.ready} gauges. Names from docs/metrics.md only.
 * {@code blockhaus.requests} is a Prometheus collector of its own ({@link RequestHistograms}:
 * counts kept per NBD connection without atomics, summed at scrape time), not a Micrometer
 * timer, because a timer record per request was most of what metrics cost a cached read. Apart
 * from io.blockhaus.metrics (the engine's binding) so the two bindings grow without touching.
 */
package io.blockhaus.metrics.frontend;
