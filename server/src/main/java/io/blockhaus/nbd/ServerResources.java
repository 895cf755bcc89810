package io.blockhaus.nbd;

import java.util.concurrent.ExecutorService;

/**
 * What every connection of one server shares: the workers that run engine operations, the
 * connection counts, the server-wide payload budget, how large WRITEs travelled, and where
 * requests are reported for metrics.
 */
record ServerResources(ExecutorService workers, ConnectionGauges gauges, PayloadBudget payloadBudget,
        SpliceCounters splices, NbdEvents events) {
}
