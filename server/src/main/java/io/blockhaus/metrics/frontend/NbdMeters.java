package io.blockhaus.metrics.frontend;

import io.blockhaus.nbd.DisconnectReason;
import io.blockhaus.nbd.Disconnects;
import io.blockhaus.nbd.NbdEvents;
import io.blockhaus.nbd.NbdServer;
import io.blockhaus.nbd.codec.NbdCommand;
import io.blockhaus.nbd.codec.NbdError;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The NBD front end's meters, bound to {@link NbdEvents}. Each connection gets a
 * {@link ConnectionRequests} of its own: its request latencies go to {@link LatencyCell}s only it
 * writes (one per op x outcome it used, found by an array index), which
 * {@link RequestHistograms} adds up at scrape time, so a request costs a bucket search and a few
 * plain stores, no atomic instruction, no tags built, nothing allocated. Payload bytes go to the
 * export's counters (one add for a READ or a WRITE). When the connection closes, its cells are
 * folded into the series' totals: nothing it counted is lost.
 */
public final class NbdMeters implements NbdEvents {
    static final String FRONTEND = "nbd";
    /** Tag values by NBD command code; commands past the table are {@code other}. */
    private static final String[] OPS = {"read", "write", "disc", "flush", "trim", "cache", "write_zeroes", "block_status"};
    private static final String OTHER = "other";
    /** The NBD errors the server sends, by index; an error past them is {@code other}. */
    private static final NbdError[] OUTCOMES = {NbdError.OK, NbdError.EPERM, NbdError.EIO, NbdError.ENOMEM,
        NbdError.EINVAL, NbdError.ENOSPC, NbdError.EOVERFLOW, NbdError.ENOTSUP, NbdError.ESHUTDOWN};
    private static final int PAIRS = (OPS.length + 1) * (OUTCOMES.length + 1);

    private final MeterRegistry registry;
    private final RequestHistograms requests;
    private final Counter malformed;
    private final ConcurrentHashMap<String, ExportBytes> exports = new ConcurrentHashMap<>();

    /** @param requests where {@code blockhaus.requests} goes (shared with the gRPC meters of the same registry) */
    public NbdMeters(MeterRegistry registry, RequestHistograms requests) {
        this.registry = registry;
        this.requests = requests;
        this.malformed = FrontendMeters.malformed(registry, FRONTEND);
    }

    /**
     * Adds {@code blockhaus.frontend.connections} and {@code blockhaus.frontend.disconnects} (one
     * function counter per {@link DisconnectReason}, read from {@link NbdServer#disconnects()})
     * for {@code server} (once it listens).
     */
    public void bindConnections(NbdServer server) {
        Gauge.builder(FrontendMeters.CONNECTIONS, server, NbdServer::connections)
                .description("connections open")
                .tag("frontend", FRONTEND)
                .register(registry);
        Disconnects disconnects = server.disconnects();
        for (DisconnectReason reason : DisconnectReason.values()) {
            FunctionCounter.builder(FrontendMeters.DISCONNECTS, disconnects, d -> d.count(reason))
                    .description("connections ended, by why")
                    .tags("frontend", FRONTEND, "reason", reason.label())
                    .register(registry);
        }
    }

    @Override
    public Requests connected(String export) {
        return new ConnectionRequests(export, exports.computeIfAbsent(export, ExportBytes::new));
    }

    @Override
    public void malformed() {
        malformed.increment();
    }

    static int opIndex(NbdCommand c) {
        return c.code() < OPS.length ? c.code() : OPS.length;
    }

    static int outcomeIndex(NbdError e) {
        for (int i = 0; i < OUTCOMES.length; i++) {
            if (OUTCOMES[i].code() == e.code()) {
                return i;
            }
        }
        return OUTCOMES.length;
    }

    /** One export's payload counters, shared by its connections. */
    private final class ExportBytes {
        final Counter in;
        final Counter out;

        ExportBytes(String volume) {
            this.in = FrontendMeters.bytes(registry, FRONTEND, volume, "in");
            this.out = FrontendMeters.bytes(registry, FRONTEND, volume, "out");
        }
    }

    /** One connection's reports: confined to its event loop (see {@link NbdEvents.Requests}). */
    private final class ConnectionRequests implements Requests {
        private final String volume;
        private final ExportBytes bytes;
        private final LatencyCell[] cells = new LatencyCell[PAIRS];
        private final RequestHistograms.Series[] series = new RequestHistograms.Series[PAIRS];
        private boolean closed;

        ConnectionRequests(String volume, ExportBytes bytes) {
            this.volume = volume;
            this.bytes = bytes;
        }

        @Override
        public void answered(NbdCommand command, NbdError outcome, long nanos, long endedAt, long bytesIn, long bytesOut) {
            int i = opIndex(command) * (OUTCOMES.length + 1) + outcomeIndex(outcome);
            LatencyCell c = cells[i];
            if (c == null) {
                c = newCell(i);
            }
            c.record(nanos, endedAt);
            if (closed) {
                retire(i); // reported after the close (the handler does not): counted, not kept live
            }
            if (bytesIn > 0) {
                bytes.in.increment(bytesIn);
            }
            if (bytesOut > 0) {
                bytes.out.increment(bytesOut);
            }
        }

        @Override
        public void closed() {
            closed = true;
            for (int i = 0; i < PAIRS; i++) {
                if (cells[i] != null) {
                    retire(i);
                }
            }
        }

        private LatencyCell newCell(int i) {
            int op = i / (OUTCOMES.length + 1);
            int o = i % (OUTCOMES.length + 1);
            RequestHistograms.Series s = series[i];
            if (s == null) {
                s = requests.series(FRONTEND, volume, op < OPS.length ? OPS[op] : OTHER,
                        o == 0 ? "ok" : o < OUTCOMES.length ? OUTCOMES[o].name() : OTHER);
                series[i] = s;
            }
            return cells[i] = s.newCell();
        }

        private void retire(int i) {
            series[i].retire(cells[i]);
            cells[i] = null;
        }
    }
}
