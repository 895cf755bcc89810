package io.blockhaus.metrics.frontend;

import io.blockhaus.nbd.NbdEvents;
import io.blockhaus.nbd.NbdServer;
import io.blockhaus.nbd.codec.NbdCommand;
import io.blockhaus.nbd.codec.NbdError;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The NBD front end's meters, bound to {@link NbdEvents}. Per export one {@link ExportMeters}
 * (looked up once per connection), holding its timers in an array indexed by op x outcome, each
 * registered the first time that pair happens: a request then costs an array read, a timer
 * record and, for READ and WRITE, a counter add; no tags built, nothing allocated.
 */
public final class NbdMeters implements NbdEvents {
    static final String FRONTEND = "nbd";
    /** Tag values by NBD command code; commands past the table are {@code other}. */
    private static final String[] OPS = {"read", "write", "disc", "flush", "trim", "cache", "write_zeroes", "block_status"};
    private static final String OTHER = "other";
    /** The NBD errors the server sends, by index; an error past them is {@code other}. */
    private static final NbdError[] OUTCOMES = {NbdError.OK, NbdError.EPERM, NbdError.EIO, NbdError.ENOMEM,
        NbdError.EINVAL, NbdError.ENOSPC, NbdError.EOVERFLOW, NbdError.ENOTSUP, NbdError.ESHUTDOWN};

    private final MeterRegistry registry;
    private final Counter malformed;
    private final ConcurrentHashMap<String, ExportMeters> exports = new ConcurrentHashMap<>();

    public NbdMeters(MeterRegistry registry) {
        this.registry = registry;
        this.malformed = FrontendMeters.malformed(registry, FRONTEND);
    }

    /** Adds {@code blockhaus.frontend.connections} for {@code server} (once it listens). */
    public void bindConnections(NbdServer server) {
        Gauge.builder(FrontendMeters.CONNECTIONS, server, NbdServer::connections)
                .description("connections open")
                .tag("frontend", FRONTEND)
                .register(registry);
    }

    @Override
    public Requests connected(String export) {
        return exports.computeIfAbsent(export, ExportMeters::new);
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

    private final class ExportMeters implements Requests {
        private final String volume;
        private final AtomicReferenceArray<Timer> timers = new AtomicReferenceArray<>((OPS.length + 1) * (OUTCOMES.length + 1));
        private final Counter in;
        private final Counter out;

        ExportMeters(String volume) {
            this.volume = volume;
            this.in = FrontendMeters.bytes(registry, FRONTEND, volume, "in");
            this.out = FrontendMeters.bytes(registry, FRONTEND, volume, "out");
        }

        @Override
        public void answered(NbdCommand command, NbdError outcome, long nanos, long bytesIn, long bytesOut) {
            int op = opIndex(command);
            int o = outcomeIndex(outcome);
            int i = op * (OUTCOMES.length + 1) + o;
            Timer t = timers.get(i);
            if (t == null) {
                // Two threads may race here: the registry hands both the same timer.
                t = FrontendMeters.requests(registry, FRONTEND, volume, op < OPS.length ? OPS[op] : OTHER,
                        o == 0 ? "ok" : o < OUTCOMES.length ? OUTCOMES[o].name() : OTHER);
                timers.set(i, t);
            }
            t.record(nanos, TimeUnit.NANOSECONDS);
            if (bytesIn > 0) {
                in.increment(bytesIn);
            }
            if (bytesOut > 0) {
                out.increment(bytesOut);
            }
        }
    }
}
