package io.blockhaus.nbd;

import io.blockhaus.limits.ConnectionCaps;
import io.blockhaus.limits.Refusals;
import java.net.InetAddress;

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
 * <p>The counting is {@link ConnectionCaps}', shared with gRPC; the total is the one the
 * connection gauges show.
 */
final class ConnectionAdmission {
    private final ConnectionCaps caps;

    ConnectionAdmission(int maxTotal, int maxPerSource, ConnectionGauges gauges, Refusals refusals) {
        this.caps = new ConnectionCaps("NBD", maxTotal, maxPerSource, gauges.openCount(), refusals);
    }

    /**
     * Counts a new connection from {@code source} in; false (counted as a refusal, and nothing
     * else changed) if it would pass either cap. Every true must be followed by one {@link #closed}.
     */
    boolean tryAdmit(InetAddress source) {
        return caps.tryAdmit(source);
    }

    void closed(InetAddress source) {
        caps.closed(source);
    }

    /** Connections open from {@code source} (tests). */
    int openFrom(InetAddress source) {
        return caps.openFrom(source);
    }
}
