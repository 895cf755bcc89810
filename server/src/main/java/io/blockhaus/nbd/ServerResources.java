package io.blockhaus.nbd;

import java.util.concurrent.ExecutorService;

/**
 * What every connection of one server shares: the workers that run engine operations, the
 * connection counts, and the server-wide payload budget.
 */
record ServerResources(ExecutorService workers, ConnectionGauges gauges, PayloadBudget payloadBudget) {
}
