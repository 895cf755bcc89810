package io.blockhaus.nbd;

import io.blockhaus.limits.ConnectionCaps;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts of the server's connections by state, shared by every connection's handlers: how many
 * are open, how many have stopped taking requests because their client is not reading the
 * replies, and how many wait for room in the server-wide payload budget. Read by tests and, later, by the metrics binding; written on the event loops.
 */
final class ConnectionGauges {
    private final ConnectionCaps.Counter open = new ConnectionCaps.Counter();
    private final AtomicInteger waitingForClient = new AtomicInteger();
    private final AtomicInteger waitingForBudget = new AtomicInteger();

    int open() {
        return open.open();
    }

    /** The open count, which the connection caps keep ({@link ConnectionAdmission}). */
    ConnectionCaps.Counter openCount() {
        return open;
    }

    int waitingForClient() {
        return waitingForClient.get();
    }

    void waitingForClient(boolean waiting) {
        waitingForClient.addAndGet(waiting ? 1 : -1);
    }

    int waitingForBudget() {
        return waitingForBudget.get();
    }

    void waitingForBudget(boolean waiting) {
        waitingForBudget.addAndGet(waiting ? 1 : -1);
    }
}
