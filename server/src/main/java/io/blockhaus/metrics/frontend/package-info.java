/**
 * Meters of the serving side, bound to what the front ends report: NBD requests (through the NBD
 * server's Micrometer-free event interface), gRPC calls (a server interceptor and transport
 * filter), and the {@code blockhaus.volume.ready} gauges. Names from docs/metrics.md only. Apart
 * from io.blockhaus.metrics (the engine's binding) so the two bindings grow without touching.
 */
package io.blockhaus.metrics.frontend;
