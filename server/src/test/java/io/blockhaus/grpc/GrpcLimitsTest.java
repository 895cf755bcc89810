package io.blockhaus.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.blockhaus.engine.Engine;
import io.blockhaus.engine.EngineConfig;
import io.blockhaus.engine.Volume;
import io.blockhaus.engine.VolumeConfig;
import io.blockhaus.engine.store.MemoryStore;
import io.blockhaus.limits.RefusalReason;
import io.blockhaus.proto.v1.CreateVolumeRequest;
import io.blockhaus.proto.v1.GetVolumeRequest;
import io.blockhaus.proto.v1.MapRequest;
import io.blockhaus.proto.v1.OpenHandleRequest;
import io.blockhaus.proto.v1.VolumeAdminGrpc;
import io.blockhaus.proto.v1.VolumeIoGrpc;
import io.blockhaus.proto.v1.WriteRequest;
import io.blockhaus.proto.v1.WriteResponse;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The gRPC limits of issue 15 over a real (Netty) connection, each answered RESOURCE_EXHAUSTED (or,
 * for HTTP/2's stream limit, a wait in the client) to the call that passes it, never to others,
 * and each counted.
 */
class GrpcLimitsTest {
    private final Engine engine = new Engine(EngineConfig.withCache(8 << 20).withBackgroundThreads(false));
    private final List<ManagedChannel> channels = new ArrayList<>();
    private GrpcServer server;

    private void start(int threads, GrpcLimits limits) {
        Volume v = engine.open(VolumeConfig.of("v"), new MemoryStore(1 << 20));
        server = GrpcServer.listen(new InetSocketAddress("127.0.0.1", 0), new FixedCatalog(List.of(v), new LockStatsBook()),
                threads, GrpcServer.DEFAULT_RECALL_TIMEOUT, limits, b -> { });
    }

    private ManagedChannel channel() {
        ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", server.address().getPort()).usePlaintext()
                .maxInboundMessageSize(8 << 20).build();
        channels.add(ch);
        return ch;
    }

    @AfterEach
    void stop() throws InterruptedException {
        for (ManagedChannel ch : channels) {
            ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        if (server != null) {
            server.close();
        }
        engine.close();
    }

    private static VolumeAdminGrpc.VolumeAdminBlockingStub admin(ManagedChannel ch) {
        return VolumeAdminGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    private static GetVolumeRequest getV() {
        return GetVolumeRequest.newBuilder().setName("volumes/v").build();
    }

    /** A Write stream whose first message is sent and which stays open: it holds a call slot. */
    private static StreamObserver<WriteRequest> holdWrite(ManagedChannel ch, String handle, CompletableFuture<WriteResponse> done) {
        StreamObserver<WriteRequest> w = VolumeIoGrpc.newStub(ch).write(new FutureObserver<>(done));
        w.onNext(WriteRequest.newBuilder().setHandle(handle).setOffset(0).setData(ByteString.copyFrom(new byte[512])).build());
        return w;
    }

    private static String open(ManagedChannel ch) {
        return VolumeIoGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS)
                .openHandle(OpenHandleRequest.newBuilder().setVolume("volumes/v").build()).getName();
    }

    @Test
    void aMessageOverTheLimitIsResourceExhaustedAndCounted() {
        start(2, GrpcLimits.DEFAULTS);
        ManagedChannel ch = channel();
        String huge = "a".repeat(GrpcLimits.DEFAULTS.maxInboundMessage() + 1);
        assertThatThrownBy(() -> admin(ch).createVolume(CreateVolumeRequest.newBuilder().setVolumeId(huge).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED));
        // The same connection goes on.
        assertThat(admin(ch).getVolume(getV()).getName()).isEqualTo("volumes/v");
        Await.until(() -> server.refusals().count(RefusalReason.REQUEST_TOO_LARGE) == 1);
    }

    @Test
    void aFullCallQueueRefusesTheNextCallAtOnceAndRecovers() throws Exception {
        start(1, GrpcLimits.DEFAULTS.withCallQueue(0)); // one slot: one thread, no queue
        ManagedChannel ch = channel();
        String handle = open(ch);
        CompletableFuture<WriteResponse> done = new CompletableFuture<>();
        StreamObserver<WriteRequest> held = holdWrite(ch, handle, done);
        assertThatThrownBy(() -> admin(channel()).getVolume(getV()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
                    assertThat(e.getStatus().getDescription()).contains("busy");
                });
        assertThat(server.refusals().count(RefusalReason.QUEUE_FULL)).isEqualTo(1);
        held.onCompleted();
        assertThat(done.get(10, TimeUnit.SECONDS).getBytesWritten()).isEqualTo(512);
        // The slot comes back when the server closes the stream (just after the client hears it).
        Await.until(() -> {
            try {
                return admin(ch).getVolume(getV()).getName().equals("volumes/v");
            } catch (StatusRuntimeException e) {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
                return false;
            }
        });
    }

    @Test
    void callsPastTheStreamLimitWaitInTheClientWhileOtherConnectionsAreServed() throws Exception {
        start(4, GrpcLimits.DEFAULTS.withConnection(GrpcLimits.MIN_INBOUND_MESSAGE, 1, Duration.ofSeconds(10), Duration.ZERO));
        ManagedChannel ch = channel();
        String handle = open(ch); // also brings the server's SETTINGS (MAX_CONCURRENT_STREAMS 1)
        CompletableFuture<WriteResponse> done = new CompletableFuture<>();
        StreamObserver<WriteRequest> held = holdWrite(ch, handle, done);
        assertThatThrownBy(() -> VolumeAdminGrpc.newBlockingStub(ch).withDeadlineAfter(1, TimeUnit.SECONDS).getVolume(getV()))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));
        assertThat(admin(channel()).getVolume(getV()).getName()).as("another connection").isEqualTo("volumes/v");
        held.onCompleted();
        assertThat(done.get(10, TimeUnit.SECONDS).getBytesWritten()).isEqualTo(512);
        assertThat(admin(ch).getVolume(getV()).getName()).isEqualTo("volumes/v");
    }

    @Test
    void anIdleConnectionIsClosedAndTheNextCallReconnects() {
        start(2, GrpcLimits.DEFAULTS.withConnection(GrpcLimits.MIN_INBOUND_MESSAGE, 128, Duration.ofSeconds(10),
                Duration.ofMillis(500)));
        ManagedChannel ch = channel();
        assertThat(admin(ch).getVolume(getV()).getName()).isEqualTo("volumes/v");
        assertThat(ch.getState(false)).isEqualTo(ConnectivityState.READY);
        Await.until(() -> ch.getState(false) == ConnectivityState.IDLE); // the server's GOAWAY
        assertThat(admin(ch).getVolume(getV()).getName()).isEqualTo("volumes/v");
    }

    @Test
    void handlesPerClientAndMappingsPerHandleAreBoundedAndCounted() {
        start(2, GrpcLimits.DEFAULTS.withHandles(100, 2, 2));
        ManagedChannel ch = channel();
        String h = open(ch);
        open(ch);
        assertThatThrownBy(() -> open(ch)).isInstanceOfSatisfying(StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED));
        assertThat(open(channel())).as("another client (connection) is served").isNotEmpty();
        var io = VolumeIoGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS);
        MapRequest map = MapRequest.newBuilder().setHandle(h).setOffset(0).setLength(4096).build();
        io.map(map);
        io.map(map);
        assertThatThrownBy(() -> io.map(map)).isInstanceOfSatisfying(StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED));
        assertThat(server.refusals().count(RefusalReason.HANDLES)).isEqualTo(1);
        assertThat(server.refusals().count(RefusalReason.MAPPINGS)).isEqualTo(1);
    }

    @Test
    void badVolumeNamesAreRefusedShortlyAndCounted() {
        start(2, GrpcLimits.DEFAULTS);
        ManagedChannel ch = channel();
        List<String> bad = List.of("../x", "/etc/passwd", "a/b", ".hidden", "nul\0byte", "n".repeat(10 * 1024), "");
        for (String id : bad) {
            assertThatThrownBy(() -> admin(ch).createVolume(CreateVolumeRequest.newBuilder().setVolumeId(id)
                    .setVolume(io.blockhaus.proto.v1.Volume.newBuilder().setSizeBytes(1 << 20)).build()))
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        assertThat(e.getStatus().getCode()).as(id.length() > 20 ? "10 KiB" : id)
                                .isEqualTo(Status.Code.INVALID_ARGUMENT);
                        assertThat(e.getStatus().getDescription()).contains("volume_id").hasSizeLessThan(300)
                                .doesNotContain("\0");
                    });
        }
        assertThat(server.refusals().count(RefusalReason.INVALID_NAME)).isEqualTo(bad.size());
    }

    /** Bounded polling for what the server does on its own threads. */
    private static final class Await {
        static void until(java.util.function.BooleanSupplier condition) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!condition.getAsBoolean()) {
                assertThat(System.nanoTime()).as("timed out").isLessThan(deadline);
                java.util.concurrent.locks.LockSupport.parkNanos(10_000_000); // polling interval of a bounded wait
            }
        }
    }
}
