package io.blockhaus.limits;

import java.net.InetAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The connection caps a front end applies at accept: at most {@code maxTotal} connections open,
 * at most {@code maxPerSource} from one address; a refusal is counted and logged by its reason
 * ({@link RefusalReason#CONNECTIONS}, {@link RefusalReason#CONNECTIONS_PER_SOURCE}). Why each
 * front end refuses at accept is told where it does (NBD's {@code ConnectionAdmission}, gRPC's
 * {@code GrpcConnectionCap}).
 *
 * <p>The per-source map holds an entry only while an address has a connection open, so it is
 * bounded by the total cap. Any event loop may call in; the map's per-key atomic compute keeps
 * count and cap in step.
 */
public final class ConnectionCaps {
    /** The server-wide count of open connections, kept where the front end's gauges read it. */
    public static final class Counter {
        private final AtomicInteger open = new AtomicInteger();

        /** Counts a connection in; false (and not counted) if that would pass {@code max}. */
        boolean tryOpen(int max) {
            if (open.incrementAndGet() > max) {
                open.decrementAndGet();
                return false;
            }
            return true;
        }

        void closed() {
            open.decrementAndGet();
        }

        public int open() {
            return open.get();
        }
    }

    private final String frontEnd;
    private final int maxTotal;
    private final int maxPerSource;
    private final Counter open;
    private final Refusals refusals;
    private final Map<InetAddress, Integer> bySource = new ConcurrentHashMap<>();

    /** {@code frontEnd} names the connections in refusal messages ("NBD", "gRPC"). */
    public ConnectionCaps(String frontEnd, int maxTotal, int maxPerSource, Counter open, Refusals refusals) {
        this.frontEnd = frontEnd;
        this.maxTotal = maxTotal;
        this.maxPerSource = maxPerSource;
        this.open = open;
        this.refusals = refusals;
    }

    /**
     * Counts a new connection from {@code source} in; false (counted as a refusal, and nothing
     * else changed) if it would pass either cap. Every true must be followed by one {@link #closed}.
     */
    public boolean tryAdmit(InetAddress source) {
        if (!open.tryOpen(maxTotal)) {
            refusals.refused(RefusalReason.CONNECTIONS, source.getHostAddress() + ": the server already has "
                    + maxTotal + " " + frontEnd + " connections");
            return false;
        }
        boolean[] admitted = {false};
        bySource.compute(source, (a, n) -> {
            int from = n == null ? 0 : n;
            admitted[0] = from < maxPerSource;
            return admitted[0] ? from + 1 : n;
        });
        if (!admitted[0]) {
            open.closed();
            refusals.refused(RefusalReason.CONNECTIONS_PER_SOURCE, source.getHostAddress() + " already has "
                    + maxPerSource + " " + frontEnd + " connections");
        }
        return admitted[0];
    }

    public void closed(InetAddress source) {
        bySource.computeIfPresent(source, (a, n) -> n <= 1 ? null : n - 1);
        open.closed();
    }

    /** Connections open from {@code source}. */
    public int openFrom(InetAddress source) {
        return bySource.getOrDefault(source, 0);
    }
}
