/**
 * Tests of the monitoring files under {@code deploy/monitoring/}: promtool on the Prometheus
 * configuration and the alerting rules, the meter names they and the dashboard use against the
 * catalogue (docs/metrics.md), and a real Prometheus scraping a live server under lock contention
 * running every dashboard query and alert expression.
 */
package io.blockhaus.monitoring;
