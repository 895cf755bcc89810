package io.blockhaus.nbd;

import io.blockhaus.limits.RefusalReason;
import io.blockhaus.limits.Refusals;
import java.net.InetAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Who may connect: at most {@code maxTotal} connections, at most {@code maxPerSource} from one
 * address. A connection past either is closed at accept, before the server sends a byte.
 *
 * <p>Why at accept and not after the greeting: NBD has no error the server can send first. The
 * first refusal the protocol can carry is an option reply, after the client has read the greeting
 * and sent its flags and an option, so a polite refusal would hold the connection for a round
 * trip, which is the resource being limited; a client flooding connections would get it for free.
 * nbdkit's limit filter refuses in the same place (its preconnect hook). A refused client reads
 * EOF where it expects the greeting ("server disconnected"), and the server logs and counts why.
 *
 * <p>The per-source map holds an entry only while an address has a connection open, so it is
 * bounded by the total cap. Any event loop may call in; the map's per-key atomic compute keeps
 * count and cap in step.
 */
final class ConnectionAdmission {
    private final int maxTotal;
    private final int maxPerSource;
    private final ConnectionGauges gauges;
    private final Refusals refusals;
    private final Map<InetAddress, Integer> bySource = new ConcurrentHashMap<>();

    ConnectionAdmission(int maxTotal, int maxPerSource, ConnectionGauges gauges, Refusals refusals) {
        this.maxTotal = maxTotal;
        this.maxPerSource = maxPerSource;
        this.gauges = gauges;
        this.refusals = refusals;
    }

    /**
     * Counts a new connection from {@code source} in; false (counted as a refusal, and nothing
     * else changed) if it would pass either cap. Every true must be followed by one {@link #closed}.
     */
    boolean tryAdmit(InetAddress source) {
        if (!gauges.tryOpen(maxTotal)) {
            refusals.refused(RefusalReason.CONNECTIONS, source.getHostAddress() + ": the server already has "
                    + maxTotal + " NBD connections");
            return false;
        }
        boolean[] admitted = {false};
        bySource.compute(source, (a, n) -> {
            int open = n == null ? 0 : n;
            admitted[0] = open < maxPerSource;
            return admitted[0] ? open + 1 : n;
        });
        if (!admitted[0]) {
            gauges.closed();
            refusals.refused(RefusalReason.CONNECTIONS_PER_SOURCE, source.getHostAddress() + " already has "
                    + maxPerSource + " NBD connections");
        }
        return admitted[0];
    }

    void closed(InetAddress source) {
        bySource.computeIfPresent(source, (a, n) -> n <= 1 ? null : n - 1);
        gauges.closed();
    }

    /** Connections open from {@code source} (tests). */
    int openFrom(InetAddress source) {
        return bySource.getOrDefault(source, 0);
    }
}
