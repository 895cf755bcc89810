package io.blockhaus.nbd;

import io.blockhaus.limits.Refusals;
import java.util.concurrent.ExecutorService;

/**
 * What every connection of one server shares: the workers that run engine operations, the
 * connection counts, the server-wide payload budget, how large WRITEs travelled, the refusals
 * by a limit, why connections ended, and where requests are reported for metrics.
 */
record ServerResources(ExecutorService workers, ConnectionGauges gauges, PayloadBudget payloadBudget,
        SpliceCounters splices, Refusals refusals, Disconnects disconnects, NbdEvents events) {
}
