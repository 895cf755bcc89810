package io.blockhaus.metrics.frontend;

import io.grpc.Attributes;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerTransportFilter;
import io.grpc.Status;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.function.Supplier;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * The gRPC front end's meters: an interceptor timing every call as {@code blockhaus.requests}
 * (op: the bare method name; outcome: {@code ok} or the status code's name) and counting
 * Read and Write payload bytes, and a transport filter counting connections.
 *
 * <p>The volume tag: every Blockhaus request names its volume in its first message, as a
 * resource name ({@code volumes/V}, {@code volumes/V/handles/H}, {@code .../mappings/M}), and the
 * message is already parsed when the interceptor sees it, so reading it costs one string scan
 * per call and nothing per later message. A name is used only when {@code known} says the server
 * holds that volume, so a client cannot mint series with made-up names; anything else (health,
 * reflection, an unknown volume, CreateVolume before the volume exists) is tagged {@code ""}.
 * The series is looked up per call (a map look-up) and recorded into its one shared cell with
 * atomic adds ({@link RequestHistograms}): small beside what a gRPC call costs anyway (headers,
 * messages, a thread hop).
 */
public final class GrpcMeters {
    static final String FRONTEND = "grpc";
    private static final Attributes.Key<Boolean> COUNTED = Attributes.Key.create("blockhaus.metrics.connection");

    private final MeterRegistry registry;
    private final RequestHistograms requests;
    private final Predicate<String> known;
    private final AtomicInteger connections = new AtomicInteger();

    /**
     * @param requests where {@code blockhaus.requests} goes (shared with the NBD meters of the same registry)
     * @param known    whether a volume of that name is served now (bounds the {@code volume} tag)
     */
    public GrpcMeters(MeterRegistry registry, RequestHistograms requests, Predicate<String> known) {
        this.registry = registry;
        this.requests = requests;
        this.known = known;
        Gauge.builder(FrontendMeters.CONNECTIONS, connections, AtomicInteger::get)
                .description("connections open")
                .tag("frontend", FRONTEND)
                .register(registry);
    }

    public ServerInterceptor interceptor() {
        return new ServerInterceptor() {
            @Override
            public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
                    ServerCallHandler<Q, A> next) {
                TimedCall<Q, A> timed = new TimedCall<>(call);
                return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(timed, headers)) {
                    @Override
                    public void onMessage(Q message) {
                        timed.received(message);
                        super.onMessage(message);
                    }

                    @Override
                    public void onCancel() {
                        timed.ended(Status.Code.CANCELLED); // the service may never close a call the client cancelled
                        super.onCancel();
                    }
                };
            }
        };
    }

    /** Counts a connection from ready to terminated (only those that became ready). */
    public ServerTransportFilter transportFilter() {
        return new ServerTransportFilter() {
            @Override
            public Attributes transportReady(Attributes attrs) {
                connections.incrementAndGet();
                return attrs.toBuilder().set(COUNTED, Boolean.TRUE).build();
            }

            @Override
            public void transportTerminated(Attributes attrs) {
                if (attrs != null && Boolean.TRUE.equals(attrs.get(COUNTED))) {
                    connections.decrementAndGet();
                }
            }
        };
    }

    /** The {@code {volume}} of a resource name, or null when {@code name} is not one. */
    static String volumeOf(String name) {
        if (!name.startsWith(VolumeNames.PREFIX)) {
            return null;
        }
        int end = name.indexOf('/', VolumeNames.PREFIX.length());
        return name.substring(VolumeNames.PREFIX.length(), end < 0 ? name.length() : end);
    }

    /** One call: its start, its volume (from the first message), its payload counters. */
    private final class TimedCall<Q, A> extends ForwardingServerCall.SimpleForwardingServerCall<Q, A> {
        private final long started = System.nanoTime();
        private final AtomicBoolean ended = new AtomicBoolean();
        private volatile String volume = "";
        private volatile boolean named;
        private Counter in;
        private Counter out;

        TimedCall(ServerCall<Q, A> call) {
            super(call);
        }

        void received(Q received) {
            // A Write arrives wrapped (grpc.ZeroCopyWrites: its data still in the transport's buffers).
            Object message = received instanceof Supplier<?> wrapped ? wrapped.get() : received;
            if (!named) {
                named = true;
                String name = VolumeNames.named(message);
                String v = name == null ? null : volumeOf(name);
                if (v != null && !v.isEmpty() && known.test(v)) {
                    volume = v;
                }
            }
            int bytes = VolumeNames.writePayload(message);
            if (bytes > 0) {
                if (in == null) {
                    in = FrontendMeters.bytes(registry, FRONTEND, volume, "in");
                }
                in.increment(bytes);
            }
        }

        @Override
        public void sendMessage(A message) {
            int bytes = VolumeNames.readPayload(message);
            if (bytes > 0) {
                if (out == null) {
                    out = FrontendMeters.bytes(registry, FRONTEND, volume, "out");
                }
                out.increment(bytes);
            }
            super.sendMessage(message);
        }

        @Override
        public void close(Status status, Metadata trailers) {
            ended(status.getCode());
            super.close(status, trailers);
        }

        /** Records the call once: at its close, or at its cancellation if that comes first. */
        void ended(Status.Code code) {
            if (!ended.compareAndSet(false, true)) {
                return;
            }
            try {
                long now = System.nanoTime();
                requests.series(FRONTEND, volume, getMethodDescriptor().getBareMethodName(),
                        code == Status.Code.OK ? "ok" : code.name())
                        .recordConcurrent(now - started, now);
            } catch (RuntimeException e) {
                // A metrics failure must never fail the call: its status still goes out.
                System.getLogger(GrpcMeters.class.getName()).log(System.Logger.Level.WARNING, "gRPC metrics failed", e);
            }
        }
    }
}
