/**
 * The Micrometer binding of the engine's events: one small binder per area (the pagecache lock,
 * the cache, readahead, writeback, the server-wide cache budget) implementing the engine's
 * listener for that area, with the names, tags and units of {@code docs/metrics.md}, and the
 * JDK Flight Recorder event for long lock waits. {@link io.blockhaus.metrics.EngineMetrics} is
 * the entry point: it makes a volume's listeners before the volume opens, binds its gauges after,
 * and removes its meters when it closes. Works with any {@code MeterRegistry}; the HTTP endpoint
 * that serves a Prometheus registry lives elsewhere. The engine never sees Micrometer.
 */
package io.blockhaus.metrics;
