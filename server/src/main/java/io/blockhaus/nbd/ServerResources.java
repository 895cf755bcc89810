package io.blockhaus.nbd;

import java.util.concurrent.ExecutorService;

/**
 * What every connection of one server shares: the workers that run engine operations, the
 * connection counts, the server-wide payload budget, and how large WRITEs travelled.
 */
record ServerResources(ExecutorService workers, ConnectionGauges gauges, PayloadBudget payloadBudget,
        SpliceCounters splices) {
}
