package io.blockhaus.client;

import io.blockhaus.proto.v1.CreateVolumeRequest;
import io.blockhaus.proto.v1.DeleteVolumeRequest;
import io.blockhaus.proto.v1.GetLockStatsRequest;
import io.blockhaus.proto.v1.Handle;
import io.blockhaus.proto.v1.IoMode;
import io.blockhaus.proto.v1.ListVolumesRequest;
import io.blockhaus.proto.v1.ListVolumesResponse;
import io.blockhaus.proto.v1.LockPolicy;
import io.blockhaus.proto.v1.LockStats;
import io.blockhaus.proto.v1.OpenHandleRequest;
import io.blockhaus.proto.v1.ResizeVolumeRequest;
import io.blockhaus.proto.v1.StatRequest;
import io.blockhaus.proto.v1.Volume;
import io.blockhaus.proto.v1.VolumeAdminGrpc;
import io.blockhaus.proto.v1.VolumeIoGrpc;
import io.grpc.ClientInterceptor;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * A connection to one Blockhaus server: opens {@link VolumeHandle}s and administers volumes.
 * Thread-safe; one client per server is enough (calls share one HTTP/2 connection).
 *
 * <pre>{@code
 * try (BlockhausClient client = BlockhausClient.connect("127.0.0.1:10810");
 *      VolumeHandle h = client.open("default")) {
 *     h.write(0, ByteBuffer.wrap(bytes), true);   // buffered, FUA
 *     ByteBuffer back = h.read(0, bytes.length);
 * }
 * }</pre>
 *
 * The EDEADLOCK fallback: a direct read or write whose buffer is a {@link MappedRegion} of the
 * same volume is refused by the server with EDEADLOCK (DESIGN.md rule 2); the library then does
 * the same call as buffered I/O, so the application's call succeeds, and counts it
 * ({@link #deadlockFallbacks()}). {@link Builder#fallbackOnDeadlock(boolean) fallbackOnDeadlock(false)}
 * turns that off, and the caller gets {@link BlockhausException.Deadlock}.
 */
public final class BlockhausClient implements AutoCloseable {
    private final ManagedChannel channel;
    private final boolean ownsChannel;
    private final boolean fallbackOnDeadlock;
    private final VolumeIoGrpc.VolumeIoBlockingStub io;
    private final VolumeIoGrpc.VolumeIoStub ioAsync;
    private final VolumeAdminGrpc.VolumeAdminBlockingStub admin;
    private final LongAdder fallbacks = new LongAdder();
    /** {@code blockhaus.client.edeadlock.fallbacks} on the application's registry; null without one. */
    private final Counter fallbackMeter;
    private final String clientId;

    /**
     * The header naming this client to the server: its handles belong to that name and outlive a
     * reconnect for the server's lease (30 s by default) after its last connection closed.
     */
    /** The Micrometer name of the fallback count (docs/metrics.md). */
    public static final String FALLBACKS_METER = "blockhaus.client.edeadlock.fallbacks";

    static final Metadata.Key<String> CLIENT_HEADER = Metadata.Key.of("blockhaus-client", Metadata.ASCII_STRING_MARSHALLER);

    /**
     * HTTP/2 receive window of {@link #connect}'s channel, per call and per connection (gRPC grows
     * it when it measures the link can use more): the Read reply bytes in flight toward this
     * client. gRPC's default, 1 MiB, is less than one 1 MiB reply with its header, so each
     * reply waited for a window update, and concurrent reads shared that one MiB.
     */
    static final int FLOW_CONTROL_WINDOW = 8 << 20;

    private BlockhausClient(Builder b) {
        this.channel = b.channel;
        this.ownsChannel = b.ownsChannel;
        this.fallbackOnDeadlock = b.fallbackOnDeadlock;
        this.clientId = b.clientId;
        // A plain counter, not a function of this client's adder: clients sharing a registry
        // share the meter (same name, no per-client tag) and their fallbacks add up in it.
        this.fallbackMeter = b.meterRegistry == null ? null : Counter.builder(FALLBACKS_METER)
                .description("direct I/Os from a mapping of the same volume refused with EDEADLOCK and redone buffered")
                .register(b.meterRegistry);
        Metadata headers = new Metadata();
        headers.put(CLIENT_HEADER, clientId);
        ClientInterceptor named = MetadataUtils.newAttachHeadersInterceptor(headers);
        this.io = VolumeIoGrpc.newBlockingStub(channel).withInterceptors(named);
        this.ioAsync = VolumeIoGrpc.newStub(channel).withInterceptors(named);
        this.admin = VolumeAdminGrpc.newBlockingStub(channel).withInterceptors(named);
    }

    /**
     * Plaintext connection to {@code host:port}. The channel never goes idle on its own: while it
     * is connected the server keeps this client's handles open (its lease starts when the
     * connection closes).
     */
    public static BlockhausClient connect(String target) {
        return builder(NettyChannelBuilder.forTarget(target).usePlaintext().idleTimeout(30, TimeUnit.DAYS)
                .initialFlowControlWindow(FLOW_CONTROL_WINDOW).build(), true).build();
    }

    /** TLS connection to {@code host:port} (see {@link ClientTls}); otherwise as {@link #connect(String)}. */
    public static BlockhausClient connect(String target, ClientTls tls) {
        return builder(tls.channel(target), true).build();
    }

    /** A client over a channel the caller made (and closes). */
    public static Builder builder(ManagedChannel channel) {
        return builder(channel, false);
    }

    private static Builder builder(ManagedChannel channel, boolean owns) {
        return new Builder(channel, owns);
    }

    /** Options of a client. */
    public static final class Builder {
        private final ManagedChannel channel;
        private final boolean ownsChannel;
        private boolean fallbackOnDeadlock = true;
        private String clientId = UUID.randomUUID().toString();
        private MeterRegistry meterRegistry;

        private Builder(ManagedChannel channel, boolean ownsChannel) {
            this.channel = channel;
            this.ownsChannel = ownsChannel;
        }

        /** Whether a direct I/O refused with EDEADLOCK is redone as buffered I/O (default true). */
        public Builder fallbackOnDeadlock(boolean on) {
            this.fallbackOnDeadlock = on;
            return this;
        }

        /** The name the server knows this client by (default: a random UUID); two clients with one name share handles. */
        public Builder clientId(String id) {
            if (id == null || id.isEmpty()) {
                throw new IllegalArgumentException("client id must not be empty");
            }
            this.clientId = id;
            return this;
        }

        /**
         * Counts this client's EDEADLOCK fallbacks on {@code registry} as
         * {@value BlockhausClient#FALLBACKS_METER} as well (default: no registry; the count is
         * then only {@link BlockhausClient#deadlockFallbacks()}).
         */
        public Builder meterRegistry(MeterRegistry registry) {
            this.meterRegistry = registry;
            return this;
        }

        public BlockhausClient build() {
            return new BlockhausClient(this);
        }
    }

    /** Opens a handle on volume {@code name} ("disk1" or "volumes/disk1"). */
    public VolumeHandle open(String name) {
        var h = call(() -> io.openHandle(OpenHandleRequest.newBuilder().setVolume(resource(name)).build()));
        return new VolumeHandle(this, h);
    }

    /**
     * A handle this client (by its {@link Builder#clientId client id}) opened earlier, perhaps on a
     * connection since lost: the server keeps it for its lease. ENOENT when it is gone.
     */
    public VolumeHandle attach(String handleName) {
        var stat = call(() -> io.stat(StatRequest.newBuilder().setHandle(handleName).build()));
        return new VolumeHandle(this, Handle.newBuilder().setName(handleName).setSizeBytes(stat.getSizeBytes())
                .setPageSize(stat.getPageSize()).setReadOnly(stat.getReadOnly()).build());
    }

    /** Creates a sparse volume of {@code sizeBytes} with the server's defaults (buffered, two-state, 4K pages). */
    public Types.VolumeInfo createVolume(String name, long sizeBytes) {
        return createVolume(name, sizeBytes, false, false);
    }

    /** Creates a volume; {@code direct}: plain I/O goes around the cache; {@code rangeLock}: the range lock policy. */
    public Types.VolumeInfo createVolume(String name, long sizeBytes, boolean direct, boolean rangeLock) {
        Volume spec = Volume.newBuilder().setSizeBytes(sizeBytes).setIoMode(direct ? IoMode.DIRECT : IoMode.BUFFERED)
                .setLockPolicy(rangeLock ? LockPolicy.RANGE : LockPolicy.TWO_STATE).build();
        return info(call(() -> admin.createVolume(CreateVolumeRequest.newBuilder().setVolumeId(id(name))
                .setVolume(spec).build())));
    }

    public void deleteVolume(String name, boolean force) {
        call(() -> admin.deleteVolume(DeleteVolumeRequest.newBuilder().setName(resource(name)).setForce(force).build()));
    }

    public List<Types.VolumeInfo> listVolumes() {
        List<Types.VolumeInfo> out = new ArrayList<>();
        String token = "";
        do {
            String t = token;
            ListVolumesResponse r = call(() -> admin.listVolumes(ListVolumesRequest.newBuilder().setPageSize(100)
                    .setPageToken(t).build()));
            r.getVolumesList().forEach(v -> out.add(info(v)));
            token = r.getNextPageToken();
        } while (!token.isEmpty());
        return out;
    }

    public Types.VolumeInfo resizeVolume(String name, long sizeBytes) {
        return info(call(() -> admin.resizeVolume(ResizeVolumeRequest.newBuilder().setName(resource(name))
                .setSizeBytes(sizeBytes).build())));
    }

    /** The volume's pagecache-lock statistics (the API's message as it is). */
    public LockStats lockStats(String name) {
        return call(() -> admin.getLockStats(GetLockStatsRequest.newBuilder().setName(resource(name)).build()));
    }

    /** The name the server knows this client by. */
    public String clientId() {
        return clientId;
    }

    /** Direct I/Os that EDEADLOCK turned into buffered ones since this client started. */
    public long deadlockFallbacks() {
        return fallbacks.sum();
    }

    boolean fallbackOnDeadlock() {
        return fallbackOnDeadlock;
    }

    void countFallback() {
        fallbacks.increment();
        if (fallbackMeter != null) {
            fallbackMeter.increment();
        }
    }

    VolumeIoGrpc.VolumeIoBlockingStub io() {
        return io;
    }

    VolumeIoGrpc.VolumeIoStub ioAsync() {
        return ioAsync;
    }

    /** Runs a blocking call, turning its failure into a {@link BlockhausException}. */
    static <T> T call(Supplier<T> rpc) {
        try {
            return rpc.get();
        } catch (RuntimeException e) {
            throw ClientErrors.from(e);
        }
    }

    private static String id(String name) {
        return name.startsWith("volumes/") ? name.substring("volumes/".length()) : name;
    }

    private static String resource(String name) {
        return "volumes/" + id(name);
    }

    private static Types.VolumeInfo info(Volume v) {
        return new Types.VolumeInfo(id(v.getName()), v.getSizeBytes(), v.getReadOnly(), v.getIoMode() == IoMode.DIRECT,
                v.getLockPolicy() == LockPolicy.RANGE ? "range" : "two-state", v.getPageSize(),
                v.getOrigin() == Volume.Origin.API, v.getOpenHandles());
    }

    @Override
    public void close() {
        if (ownsChannel) {
            channel.shutdown();
            try {
                if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
                    channel.shutdownNow();
                }
            } catch (InterruptedException e) {
                channel.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
    }
}
