package io.blockhaus.grpc;

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
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.LongSupplier;
import java.util.concurrent.Executor;
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
 * loop, and bounds the calls in flight per connection, which bounds the pool's queue. Watch
 * streams are fed from one more thread, because the engine reports invalidations with a page
 * lock held and must not wait for a send; the same thread closes the handles of clients whose
 * lease ran out ({@link Leases}), once a second.
 */
public final class GrpcServer implements AutoCloseable {
    /** The largest message accepted: one chunk of data and its header. */
    public static final int MAX_INBOUND_MESSAGE = Transfers.MAX_CHUNK + 64 * 1024;
    /** Server-wide bound on open gRPC handles. */
    public static final int MAX_HANDLES = 4096;
    /** Bound on the handles one client holds open. */
    public static final int MAX_HANDLES_PER_CLIENT = 256;
    /** How long a recall waits for a mapping's acknowledgement before revoking it. */
    public static final Duration DEFAULT_RECALL_TIMEOUT = Duration.ofSeconds(5);
    /** How long a client's handles outlive its last connection. */
    public static final Duration DEFAULT_LEASE = Duration.ofSeconds(30);
    /** Calls in flight on one connection; more wait in the client (HTTP/2 MAX_CONCURRENT_STREAMS). */
    public static final int MAX_CALLS_PER_CONNECTION = 128;
    private static final long GRACE_SECONDS = 5;

    private final Server server;
    private final HealthStatusManager health = new HealthStatusManager();
    private final HandleTable handles;
    private final Leases leases;
    private final GrpcRefusals refusals = new GrpcRefusals();
    private final ScheduledExecutorService notifier;
    /** Stops what {@link #listen} made for this server (the worker pool, the event loops); null for {@link #start}. */
    private final Runnable stopOwned;

    private GrpcServer(ServerBuilder<?> builder, VolumeCatalog catalog, Runnable stopOwned, Duration lease,
            LongSupplier clock, Duration recall, GrpcSecurity security) {
        this.stopOwned = stopOwned;
        this.handles = new HandleTable(MAX_HANDLES, MAX_HANDLES_PER_CLIENT, recall.toNanos());
        this.leases = new Leases(lease.toNanos(), clock);
        this.notifier = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("blockhaus-grpc-watch").daemon().factory());
        this.server = builder
                .addTransportFilter(leases.transportFilter())
                .intercept(leases.interceptor())
                .intercept(Caller.interceptor())
                .addService(new VolumeIoService(catalog, handles, notifier, security, refusals))
                .addService(new VolumeAdminService(catalog, handles, security, refusals))
                .addService(health.getHealthService())
                .addService(ProtoReflectionServiceV1.newInstance())
                .maxInboundMessageSize(MAX_INBOUND_MESSAGE)
                .build();
    }

    /** Starts the services on {@code builder} (whose executor and transport the caller chose). */
    public static GrpcServer start(ServerBuilder<?> builder, VolumeCatalog catalog) {
        return start(builder, catalog, GrpcSecurity.NONE);
    }

    /** {@link #start(ServerBuilder, VolumeCatalog)} with allow lists and an admin rule (tests, in-process). */
    public static GrpcServer start(ServerBuilder<?> builder, VolumeCatalog catalog, GrpcSecurity security) {
        return start(builder, catalog, null, DEFAULT_LEASE, System::nanoTime, true, DEFAULT_RECALL_TIMEOUT, security);
    }

    /**
     * For tests of leases and recalls: {@code clock} for lease times, no background sweep (the
     * test calls {@link #sweepLeases}), and the recall timeout.
     */
    static GrpcServer start(ServerBuilder<?> builder, VolumeCatalog catalog, Duration lease, LongSupplier clock,
            Duration recall) {
        return start(builder, catalog, null, lease, clock, false, recall, GrpcSecurity.NONE);
    }

    /**
     * Binds {@code address} over the project's Netty, on the epoll transport where it loads (as
     * the NBD server does), with {@code threads} worker threads for calls.
     */
    public static GrpcServer listen(InetSocketAddress address, VolumeCatalog catalog, int threads) {
        return listen(address, catalog, threads, DEFAULT_LEASE, System::nanoTime, true, DEFAULT_RECALL_TIMEOUT,
                GrpcSecurity.NONE);
    }

    /**
     * {@link #listen} with a recall timeout other than {@link #DEFAULT_RECALL_TIMEOUT}: how long an
     * engine operation from either front end waits for a mapping's acknowledgement before
     * revoking it.
     */
    public static GrpcServer listen(InetSocketAddress address, VolumeCatalog catalog, int threads, Duration recall) {
        return listen(address, catalog, threads, recall, GrpcSecurity.NONE);
    }

    /**
     * {@link #listen(InetSocketAddress, VolumeCatalog, int, Duration)} under {@code security}:
     * TLS on the port when it has a context, allow lists, the admin rule.
     */
    public static GrpcServer listen(InetSocketAddress address, VolumeCatalog catalog, int threads, Duration recall,
            GrpcSecurity security) {
        return listen(address, catalog, threads, DEFAULT_LEASE, System::nanoTime, true, recall, security);
    }

    /** {@link #listen} with the lease clock and sweep of {@link #start(ServerBuilder, VolumeCatalog, Duration, LongSupplier, Duration)}, for tests. */
    static GrpcServer listen(InetSocketAddress address, VolumeCatalog catalog, int threads, Duration lease,
            LongSupplier clock, Duration recall) {
        return listen(address, catalog, threads, lease, clock, false, recall, GrpcSecurity.NONE);
    }

    private static GrpcServer listen(InetSocketAddress address, VolumeCatalog catalog, int threads, Duration lease,
            LongSupplier clock, boolean sweep, Duration recall, GrpcSecurity security) {
        ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), Thread.ofPlatform().name("blockhaus-grpc-worker-", 0).daemon().factory());
        NettyServerBuilder b = NettyServerBuilder.forAddress(address);
        security.ssl().ifPresent(b::sslContext);
        List<EventLoopGroup> groups = List.of();
        if (Epoll.isAvailable()) {
            EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1,
                    Thread.ofPlatform().name("blockhaus-grpc-accept").daemon().factory(), EpollIoHandler.newFactory());
            EventLoopGroup loops = new MultiThreadIoEventLoopGroup(Runtime.getRuntime().availableProcessors(),
                    Thread.ofPlatform().name("blockhaus-grpc-loop-", 0).daemon().factory(), EpollIoHandler.newFactory());
            b.channelType(EpollServerSocketChannel.class).bossEventLoopGroup(boss).workerEventLoopGroup(loops);
            groups = List.of(boss, loops);
        }
        // Every call runs on the pool but the two that recalls wait for: every pool thread may be
        // an engine operation waiting for an acknowledgement (recall before completion), and an
        // AckInvalidations, or a Watch stream's on-ready callback that sends the invalidation,
        // queued behind them would make each wait out the recall timeout and revoke a live
        // client's mapping (GrpcNbdCoherenceTest saw it: 12 writes on 4 threads). Those two stay
        // on the transport thread, which they never block: an acknowledgement is a map lookup
        // and a notify, a Watch send is a non-blocking write under flow control. The routing
        // needs the direct executor as the default, since gRPC looks the method up on the
        // default executor before it switches (a lookup on the pool would starve the same way).
        b.directExecutor()
                .callExecutor(new ServerCallExecutorSupplier() {
                    @Override
                    public <ReqT, RespT> Executor getExecutor(ServerCall<ReqT, RespT> call, Metadata headers) {
                        var m = call.getMethodDescriptor();
                        return m == VolumeIoGrpc.getAckInvalidationsMethod() || m == VolumeIoGrpc.getWatchMethod()
                                ? null : pool;
                    }
                })
                .maxConcurrentCallsPerConnection(MAX_CALLS_PER_CONNECTION)
                // A peer that stops answering pings loses its connection, and so starts its lease.
                .keepAliveTime(10, TimeUnit.SECONDS)
                .keepAliveTimeout(10, TimeUnit.SECONDS)
                .permitKeepAliveTime(10, TimeUnit.SECONDS)
                .permitKeepAliveWithoutCalls(true);
        List<EventLoopGroup> owned = groups;
        return start(b, catalog, () -> {
            pool.shutdown();
            for (EventLoopGroup g : owned) {
                g.shutdownGracefully(0, 5, TimeUnit.SECONDS);
            }
        }, lease, clock, sweep, recall, security);
    }

    private static GrpcServer start(ServerBuilder<?> builder, VolumeCatalog catalog, Runnable stopOwned,
            Duration lease, LongSupplier clock, boolean sweep, Duration recall, GrpcSecurity security) {
        GrpcServer s = new GrpcServer(builder, catalog, stopOwned, lease, clock, recall, security);
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
        return refusals.accessRefusals();
    }

    /** Admin RPCs refused: the caller is not named by {@code --admin} (or not local without it). */
    public long adminRefusals() {
        return refusals.adminRefusals();
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
