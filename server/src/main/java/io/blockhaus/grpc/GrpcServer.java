package io.blockhaus.grpc;

import io.blockhaus.limits.RefusalReason;
import io.blockhaus.limits.Refusals;
import io.blockhaus.proto.v1.VolumeAdminGrpc;
import io.blockhaus.proto.v1.VolumeIoGrpc;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallExecutorSupplier;
import io.grpc.ServerBuilder;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.LongSupplier;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The gRPC server: the data-plane and admin services, health checking (grpc.health.v1, every
 * service SERVING while up) and server reflection (grpc.reflection.v1), over a
 * {@link ServerBuilder} the caller chooses, so tests pass an in-process one and {@code serve}
 * a Netty one ({@link #listen}).
 *
 * <p>Threads: service methods run on the builder's executor. {@link #listen} gives it a fixed
 * pool, so the engine's blocking (locks, disk, memory waits) never happens on a transport event
 * loop, bounds the calls in flight per connection, and admits at most threads + call queue calls
 * server-wide ({@link CallAdmission}; the rest get RESOURCE_EXHAUSTED), which bounds the pool's queue. Watch
 * streams are fed from one more thread, because the engine reports invalidations with a page
 * lock held and must not wait for a send; the same thread closes the handles of clients whose
 * lease ran out ({@link Leases}), once a second.
 *
 * <p>Memory: request messages are asked of the transport, and Read chunks handed to it, only
 * under the server-wide payload budget ({@link MessageBudget}, {@link RequestFlow},
 * {@link ReadStreamer}), so what calls hold is bounded by it, not by calls x largest message.
 */
public final class GrpcServer implements AutoCloseable {
    /** The default largest message accepted: one chunk of data and its header ({@link GrpcLimits}). */
    public static final int MAX_INBOUND_MESSAGE = GrpcLimits.DEFAULTS.maxInboundMessage();
    /** Default server-wide bound on open gRPC handles. */
    public static final int MAX_HANDLES = GrpcLimits.DEFAULTS.maxHandles();
    /** Default bound on the handles one client holds open. */
    public static final int MAX_HANDLES_PER_CLIENT = GrpcLimits.DEFAULTS.maxHandlesPerClient();
    /** How long a recall waits for a mapping's acknowledgement before revoking it. */
    public static final Duration DEFAULT_RECALL_TIMEOUT = Duration.ofSeconds(5);
    /** How long a client's handles outlive its last connection. */
    public static final Duration DEFAULT_LEASE = Duration.ofSeconds(30);
    /**
     * HTTP/2 receive window of {@link #listen}'s transport, per call (gRPC's bandwidth-delay
     * tuning may move it, but never past 8 MiB, grpc-netty's own ceiling): how many bytes of Write
     * data one call may have in flight toward the server beyond what it asked for. Not per
     * connection: grpc-netty refills the connection window as bytes arrive, so a connection may
     * have this much per call (docs/nbd.md: an open gap). gRPC's default, 1 MiB, let a 1 MiB Write chunk wait
     * for a window update in mid-message, and eight concurrent writers share one 1 MiB window
     * (docs/benchmarks/grpc-2026-12-05.md).
     */
    public static final int FLOW_CONTROL_WINDOW = 8 << 20;
    private static final long GRACE_SECONDS = 5;

    private final Server server;
    private final HealthStatusManager health = new HealthStatusManager();
    private final HandleTable handles;
    private final Leases leases;
    private final ScheduledExecutorService notifier;
    private final Refusals refusals;
    private final MessageBudget messages;
    /** The connection cap of a server made by {@link #listen}; null for {@link #start}. */
    private final GrpcConnectionCap cap;
    /** Stops what this server made for itself: {@link #listen}'s worker pool and event loops, {@link #start}'s resume pool. */
    private final Runnable stopOwned;

    private GrpcServer(ServerBuilder<?> builder, VolumeCatalog catalog, GrpcConnectionCap cap, Runnable stopOwned,
            Executor workers, Duration lease, LongSupplier clock, GrpcSetup setup, Refusals refusals) {
        GrpcLimits limits = setup.limits();
        this.messages = new MessageBudget(limits.payloadBudget(), limits.maxConnections(), limits.maxInboundMessage());
        RequestFlow requests = new RequestFlow(messages, limits.maxInboundMessage());
        this.cap = cap;
        this.stopOwned = stopOwned;
        this.refusals = refusals;
        this.handles = new HandleTable(setup.limits(), setup.recall().toNanos(), refusals);
        this.leases = new Leases(lease.toNanos(), clock);
        this.notifier = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("blockhaus-grpc-watch").daemon().factory());
        this.server = builder
                .addTransportFilter(leases.transportFilter())
                .addTransportFilter(requests.transportFilter())
                .intercept(requests.interceptor())
                .intercept(leases.interceptor())
                .intercept(Caller.interceptor())
                .addService(ZeroCopyWrites.bind(new VolumeIoService(catalog, handles, notifier, setup.security(), refusals,
                        workers)))
                .addService(new VolumeAdminService(catalog, handles, setup.security(), refusals))
                .addService(health.getHealthService())
                .addService(ProtoReflectionServiceV1.newInstance())
                .maxInboundMessageSize(setup.limits().maxInboundMessage())
                .build();
    }

    /** Starts the services on {@code builder} (whose executor and transport the caller chose). */
    public static GrpcServer start(ServerBuilder<?> builder, VolumeCatalog catalog) {
        return start(builder, catalog, GrpcSecurity.NONE);
    }

    /** {@link #start(ServerBuilder, VolumeCatalog)} with allow lists and an admin rule (tests, in-process). */
    public static GrpcServer start(ServerBuilder<?> builder, VolumeCatalog catalog, GrpcSecurity security) {
        return startOn(builder, catalog, DEFAULT_LEASE, System::nanoTime, true, GrpcSetup.DEFAULTS.withSecurity(security));
    }

    /**
     * {@link #start(ServerBuilder, VolumeCatalog)} with a lease and clock of the test's choosing
     * and no sweeper thread (the test sweeps by calling {@link #sweepLeases}).
     */
    static GrpcServer start(ServerBuilder<?> builder, VolumeCatalog catalog, Duration lease, LongSupplier clock,
            Duration recall) {
        return startOn(builder, catalog, lease, clock, false, GrpcSetup.DEFAULTS.withRecall(recall));
    }

    /**
     * A server on the caller's builder and executor. A Read whose chunk waited for the payload
     * budget goes on on a thread of its own pool ({@link ReadStreamer}), since the builder's
     * executor is not ours to reach.
     */
    private static GrpcServer startOn(ServerBuilder<?> builder, VolumeCatalog catalog, Duration lease,
            LongSupplier clock, boolean sweep, GrpcSetup setup) {
        ExecutorService resumes = Executors.newCachedThreadPool(
                Thread.ofPlatform().name("blockhaus-grpc-resume-", 0).daemon().factory());
        return start(builder, catalog, null, resumes, resumes::shutdown, lease, clock, sweep, setup,
                new Refusals("grpc"));
    }

    /**
     * Listens on {@code address} with gRPC's Netty transport (on epoll where it loads, as the NBD
     * server does), with {@code threads} worker threads for calls.
     */
    public static GrpcServer listen(InetSocketAddress address, VolumeCatalog catalog, int threads) {
        return listen(address, catalog, threads, GrpcSetup.DEFAULTS);
    }

    /** {@link #listen(InetSocketAddress, VolumeCatalog, int)} with a recall timeout other than 5 s. */
    public static GrpcServer listen(InetSocketAddress address, VolumeCatalog catalog, int threads, Duration recall) {
        return listen(address, catalog, threads, GrpcSetup.DEFAULTS.withRecall(recall));
    }

    /** {@link #listen(InetSocketAddress, VolumeCatalog, int, Duration)} under {@code security} (TLS, allow lists, admin). */
    public static GrpcServer listen(InetSocketAddress address, VolumeCatalog catalog, int threads, Duration recall,
            GrpcSecurity security) {
        return listen(address, catalog, threads, GrpcSetup.DEFAULTS.withRecall(recall).withSecurity(security));
    }

    /** {@link #listen(InetSocketAddress, VolumeCatalog, int, Duration)} with other limits and a builder hook. */
    public static GrpcServer listen(InetSocketAddress address, VolumeCatalog catalog, int threads, Duration recall,
            GrpcLimits limits, Consumer<ServerBuilder<?>> decorate) {
        return listen(address, catalog, threads,
                GrpcSetup.DEFAULTS.withRecall(recall).withLimits(limits).withDecoration(decorate));
    }

    /** Listens as {@link #listen(InetSocketAddress, VolumeCatalog, int)}, set up by {@code setup} (what {@code serve} uses). */
    public static GrpcServer listen(InetSocketAddress address, VolumeCatalog catalog, int threads, GrpcSetup setup) {
        return listen(address, catalog, threads, DEFAULT_LEASE, System::nanoTime, true, setup);
    }

    /** {@link #listen} with the lease clock and sweep of {@link #start(ServerBuilder, VolumeCatalog, Duration, LongSupplier, Duration)}, for tests. */
    static GrpcServer listen(InetSocketAddress address, VolumeCatalog catalog, int threads, Duration lease,
            LongSupplier clock, Duration recall) {
        return listen(address, catalog, threads, lease, clock, false, GrpcSetup.DEFAULTS.withRecall(recall));
    }

    private static GrpcServer listen(InetSocketAddress address, VolumeCatalog catalog, int threads, Duration lease,
            LongSupplier clock, boolean sweep, GrpcSetup setup) {
        GrpcLimits limits = setup.limits();
        // The queue itself is unbounded, but CallAdmission admits at most threads + callQueue
        // calls, each with at most one task queued, so it holds at most that many.
        ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), Thread.ofPlatform().name("blockhaus-grpc-worker-", 0).daemon().factory());
        NettyServerBuilder b = NettyServerBuilder.forAddress(address);
        setup.security().ssl().ifPresent(b::sslContext);
        Refusals refusals = new Refusals("grpc");
        // The connection cap sits in the listening channel's pipeline (see GrpcConnectionCap), so
        // this server makes its channel and, as gRPC then requires, its event loops, on NIO too.
        GrpcConnectionCap cap = new GrpcConnectionCap(limits.maxConnections(), limits.maxConnectionsPerSource(), refusals);
        boolean epoll = Epoll.isAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1,
                Thread.ofPlatform().name("blockhaus-grpc-accept").daemon().factory(), io);
        EventLoopGroup loops = new MultiThreadIoEventLoopGroup(Runtime.getRuntime().availableProcessors(),
                Thread.ofPlatform().name("blockhaus-grpc-loop-", 0).daemon().factory(), io);
        b.channelFactory(() -> cap.channel(epoll ? new EpollServerSocketChannel() : new NioServerSocketChannel()))
                .bossEventLoopGroup(boss).workerEventLoopGroup(loops);
        List<EventLoopGroup> groups = List.of(boss, loops);
        // Every call runs on the pool but the two that recalls wait for: every pool thread may be
        // an engine operation waiting for an acknowledgement (recall before completion), and an
        // AckInvalidations, or a Watch stream's on-ready callback that sends the invalidation,
        // queued behind them would make each wait out the recall timeout and revoke a live
        // client's mapping (GrpcNbdCoherenceTest saw it: 12 writes on 4 threads). Those two stay
        // on the transport thread, which they never block: an acknowledgement is a map lookup
        // and a notify, a Watch send is a non-blocking write under flow control. The routing
        // needs the direct executor as the default, since gRPC looks the method up on the
        // default executor before it switches (a lookup on the pool would starve the same way).
        // A call CallAdmission refused stays on the transport thread too, to be closed at once.
        CallAdmission admission = new CallAdmission(threads + limits.callQueue(),
                Set.of(VolumeIoGrpc.getAckInvalidationsMethod().getFullMethodName(),
                        VolumeIoGrpc.getWatchMethod().getFullMethodName()), refusals);
        b.directExecutor()
                .addStreamTracerFactory(admission.tracerFactory())
                .intercept(admission.interceptor())
                .callExecutor(new ServerCallExecutorSupplier() {
                    @Override
                    public <ReqT, RespT> Executor getExecutor(ServerCall<ReqT, RespT> call, Metadata headers) {
                        var m = call.getMethodDescriptor();
                        return m == VolumeIoGrpc.getAckInvalidationsMethod() || m == VolumeIoGrpc.getWatchMethod()
                                || CallAdmission.refused(headers) ? null : pool;
                    }
                })
                .maxConcurrentCallsPerConnection(limits.maxCallsPerConnection())
                .initialFlowControlWindow(FLOW_CONTROL_WINDOW)
                // A peer that stops answering pings loses its connection, and so starts its lease.
                .keepAliveTime(10, TimeUnit.SECONDS)
                .keepAliveTimeout(10, TimeUnit.SECONDS)
                // A peer pinging more often than this is sent GOAWAY (ENHANCE_YOUR_CALM).
                .permitKeepAliveTime(limits.permitKeepAlive().toMillis(), TimeUnit.MILLISECONDS)
                .permitKeepAliveWithoutCalls(true);
        if (!limits.maxConnectionIdle().isZero()) {
            b.maxConnectionIdle(limits.maxConnectionIdle().toMillis(), TimeUnit.MILLISECONDS);
        }
        List<EventLoopGroup> owned = groups;
        setup.decorate().accept(b);
        return start(b, catalog, cap, pool, () -> {
            pool.shutdown();
            for (EventLoopGroup g : owned) {
                g.shutdownGracefully(0, 5, TimeUnit.SECONDS);
            }
        }, lease, clock, sweep, setup, refusals);
    }

    private static GrpcServer start(ServerBuilder<?> builder, VolumeCatalog catalog, GrpcConnectionCap cap,
            Executor workers, Runnable stopOwned, Duration lease, LongSupplier clock, boolean sweep, GrpcSetup setup,
            Refusals refusals) {
        GrpcServer s = new GrpcServer(builder, catalog, cap, stopOwned, workers, lease, clock, setup, refusals);
        try {
            s.server.start();
        } catch (IOException e) {
            s.stopThreads();
            throw new UncheckedIOException(e.getMessage(), e);
        } catch (RuntimeException e) {
            s.stopThreads();
            throw e;
        }
        s.health.setStatus("", ServingStatus.SERVING);
        s.health.setStatus(VolumeIoGrpc.SERVICE_NAME, ServingStatus.SERVING);
        s.health.setStatus(VolumeAdminGrpc.SERVICE_NAME, ServingStatus.SERVING);
        if (sweep) {
            s.notifier.scheduleWithFixedDelay(s::sweepLeases, 1, 1, TimeUnit.SECONDS);
        }
        return s;
    }

    /** Calls refused by allow lists: a volume the caller may not open, answered NOT_FOUND. */
    public long accessRefusals() {
        return refusals.count(RefusalReason.ACCESS);
    }

    /** Admin RPCs refused: the caller is not named by {@code --admin} (or not local without it). */
    public long adminRefusals() {
        return refusals.count(RefusalReason.ADMIN);
    }

    /** The bound address, for a server that listens on a socket (the real port when 0 was asked). */
    public InetSocketAddress address() {
        return (InetSocketAddress) server.getListenSockets().getFirst();
    }

    /** Closes the handles of every client whose lease ran out; returns how many. */
    int sweepLeases() {
        int n = 0;
        for (String client : leases.expire()) {
            try {
                n += handles.closeOwnedBy(client);
            } catch (RuntimeException e) {
                System.getLogger("io.blockhaus.grpc").log(System.Logger.Level.WARNING,
                        "closing the handles of " + client + " after its lease failed", e);
            }
        }
        return n;
    }

    /** Calls, handles and mappings refused by a limit, by reason (for the metrics binding). */
    public Refusals refusals() {
        return refusals;
    }

    /** Bytes reserved from the payload budget now: request messages and Read chunks held ({@link MessageBudget}). */
    public long payloadBytesHeld() {
        return messages.used();
    }

    /** The most bytes ever reserved at once from the payload budget. */
    public long payloadBytesPeak() {
        return messages.peak();
    }

    /** The payload budget (--grpc-payload-budget). */
    public long payloadBudget() {
        return messages.limit();
    }

    /** Reservations waiting for the payload budget now. */
    int payloadWaiters() {
        return messages.waiting();
    }

    /** gRPC connections open now (a server made by {@link #listen}; 0 for {@link #start}'s). */
    public int openConnections() {
        return cap == null ? 0 : cap.open();
    }

    /** Bytes read so far on the connections open now ({@link GrpcConnectionCap#receivedOnOpenConnections}; tests). */
    long receivedOnOpenConnections() {
        return cap == null ? 0 : cap.receivedOnOpenConnections();
    }

    /** Handles gRPC clients hold open now. */
    public int openHandles() {
        return handles.size();
    }

    /**
     * Graceful stop: health says NOT_SERVING, no new calls are taken, every handle is closed (its
     * Watch stream ends), calls in flight get {@value #GRACE_SECONDS} seconds to finish, the rest
     * are cancelled. Idempotent.
     */
    @Override
    public void close() {
        health.enterTerminalState();
        server.shutdown();
        handles.closeAll(null);
        try {
            if (!server.awaitTermination(GRACE_SECONDS, TimeUnit.SECONDS)) {
                server.shutdownNow();
                server.awaitTermination(GRACE_SECONDS, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            server.shutdownNow();
            Thread.currentThread().interrupt();
        } finally {
            stopThreads();
        }
    }

    private void stopThreads() {
        notifier.shutdownNow();
        if (stopOwned != null) {
            stopOwned.run();
        }
    }
}
