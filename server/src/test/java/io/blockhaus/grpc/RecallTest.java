package io.blockhaus.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.blockhaus.client.BlockhausClient;
import io.blockhaus.client.MappedRegion;
import io.blockhaus.client.Types;
import io.blockhaus.client.VolumeHandle;
import io.blockhaus.engine.Engine;
import io.blockhaus.engine.EngineConfig;
import io.blockhaus.engine.Volume;
import io.blockhaus.engine.VolumeConfig;
import io.blockhaus.engine.store.MemoryStore;
import io.blockhaus.proto.v1.FaultRequest;
import io.blockhaus.proto.v1.Handle;
import io.blockhaus.proto.v1.Invalidation;
import io.blockhaus.proto.v1.MapRequest;
import io.blockhaus.proto.v1.Mapping;
import io.blockhaus.proto.v1.OpenHandleRequest;
import io.blockhaus.proto.v1.VolumeIoGrpc;
import io.blockhaus.proto.v1.WatchRequest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Recall before completion: a write (direct or buffered), a store through a mapping, a punch or a
 * truncate over gRPC returns only once every
 * mapping that held a page it shot down has dropped it (acknowledged over Watch), so no region
 * shows older bytes afterwards; a mapping that never acknowledges delays it by the recall timeout
 * and is revoked (ESTALE), and the library maps again.
 */
class RecallTest {
    private static final Duration RECALL = Duration.ofMillis(300);
    private Engine engine;
    private GrpcServer server;
    private ManagedChannel channel;

    @BeforeEach
    void start() {
        engine = new Engine(EngineConfig.withCache(4 << 20).withBackgroundThreads(false));
        Volume v = engine.open(VolumeConfig.of("v"), new MemoryStore(1 << 20));
        String name = InProcessServerBuilder.generateName();
        server = GrpcServer.start(InProcessServerBuilder.forName(name).directExecutor(),
                new FixedCatalog(List.of(v), new LockStatsBook()), GrpcServer.DEFAULT_LEASE, System::nanoTime, RECALL);
        channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    }

    @AfterEach
    void stop() {
        channel.shutdownNow();
        server.close();
        engine.close();
    }

    private static byte[] filled(int n, int value) {
        byte[] b = new byte[n];
        java.util.Arrays.fill(b, (byte) value);
        return b;
    }

    /** Fills 64 KiB with 7s through {@code writer}, maps it read-only through {@code mapper} and loads every page. */
    private static MappedRegion sevensHeldWhole(VolumeHandle writer, VolumeHandle mapper) {
        writer.write(0, ByteBuffer.wrap(filled(65536, 7)), false);
        MappedRegion m = mapper.map(0, 65536, false);
        m.get(0, ByteBuffer.allocate(1));
        assertThat(m.cachedPages()).isEqualTo(16);
        return m;
    }

    @Test
    void aCompletedDirectWritePunchOrTruncateLeavesNoRegionWithOlderBytes() {
        BlockhausClient mapper = BlockhausClient.builder(channel).clientId("mapper").build();
        BlockhausClient writer = BlockhausClient.builder(channel).clientId("writer").build();
        try (VolumeHandle hm = mapper.open("v"); VolumeHandle hw = writer.open("v")) {
            MappedRegion m = sevensHeldWhole(hw, hm);

            hw.writeDirect(4096, ByteBuffer.wrap(filled(4096, 9)), false);
            assertThat(m.cachedPages()).as("dropped before the write returned").isEqualTo(15);
            ByteBuffer page1 = ByteBuffer.allocate(4096);
            m.get(4096, page1);
            assertThat(page1.array()).containsOnly(9);

            hw.fallocate(Types.FallocateMode.PUNCH_HOLE, 8192, 8192);
            assertThat(m.cachedPages()).as("dropped before the punch returned").isEqualTo(14);
            ByteBuffer page2 = ByteBuffer.allocate(8192);
            m.get(8192, page2);
            assertThat(page2.array()).containsOnly(0);

            // Page 15 lies wholly past the new end: shot down; page 14, cut at 60000, is zeroed in
            // place (DESIGN.md rule 4) and its copy recalled all the same. (The punch's read
            // faulted the whole window back, so 16 were held.)
            hw.setSize(60000);
            assertThat(m.cachedPages()).as("dropped before the truncate returned").isEqualTo(14);
            hw.setSize(1 << 20);
            ByteBuffer tail = ByteBuffer.allocate(8192);
            m.get(57344, tail);
            byte[] expected = new byte[8192];
            java.util.Arrays.fill(expected, 0, 60000 - 57344, (byte) 7);
            assertThat(tail.array()).isEqualTo(expected);
            assertThat(m.remaps()).isZero();
        }
    }

    @Test
    void aCompletedBufferedWriteOrStoreThroughAnotherMappingLeavesNoRegionWithOlderBytes() {
        BlockhausClient mapper = BlockhausClient.builder(channel).clientId("mapper").build();
        BlockhausClient writer = BlockhausClient.builder(channel).clientId("writer").build();
        try (VolumeHandle hm = mapper.open("v"); VolumeHandle hw = writer.open("v")) {
            MappedRegion m = sevensHeldWhole(hw, hm);

            // A buffered write changes the cached page in place: in a kernel the mapping would
            // see it at once; here its copy is recalled before the write returns.
            hw.write(4096 + 10, ByteBuffer.wrap(filled(100, 9)), false);
            assertThat(m.cachedPages()).as("dropped before the buffered write returned").isEqualTo(15);
            ByteBuffer page1 = ByteBuffer.allocate(4096);
            m.get(4096, page1);
            byte[] expected = filled(4096, 7);
            java.util.Arrays.fill(expected, 10, 110, (byte) 9);
            assertThat(page1.array()).isEqualTo(expected);

            // A store through the writer's own mapping of the same page: the other copy goes,
            // the writer's mapping keeps the page mapped (its library dropped its own copy).
            MappedRegion w = hw.map(0, 65536, true);
            w.get(0, ByteBuffer.allocate(1));
            w.put(8192, ByteBuffer.wrap(new byte[] {1, 2, 3}));
            assertThat(m.cachedPages()).as("dropped before the store returned").isEqualTo(15);
            ByteBuffer page2 = ByteBuffer.allocate(3);
            m.get(8192, page2);
            assertThat(page2.array()).containsExactly(1, 2, 3);
            assertThat(m.remaps()).isZero();
            assertThat(w.remaps()).isZero();
        }
    }

    @Test
    void aMappingThatNeverAcknowledgesDelaysTheWriteByTheRecallTimeoutAndIsRevoked() {
        VolumeIoGrpc.VolumeIoBlockingStub raw = VolumeIoGrpc.newBlockingStub(channel);
        Handle h = raw.openHandle(OpenHandleRequest.newBuilder().setVolume("volumes/v").build());
        Mapping mp = raw.map(MapRequest.newBuilder().setHandle(h.getName()).setOffset(0).setLength(65536).build());
        raw.fault(FaultRequest.newBuilder().setMapping(mp.getName()).setOffset(0).build()); // holds pages, never acks

        BlockhausClient writer = BlockhausClient.builder(channel).clientId("writer").build();
        try (VolumeHandle hw = writer.open("v")) {
            long t0 = System.nanoTime();
            hw.writeDirect(0, ByteBuffer.wrap(filled(4096, 5)), false);
            long waited = System.nanoTime() - t0;
            assertThat(waited).as("the write waited for the recall").isGreaterThanOrEqualTo(RECALL.toNanos());
            assertThat(waited).as("and no longer than its timeout, give or take").isLessThan(Duration.ofSeconds(10).toNanos());

            assertThatThrownBy(() -> raw.fault(FaultRequest.newBuilder().setMapping(mp.getName()).setOffset(0).build()))
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
                        assertThat(StatusProto.fromThrowable(e).toString()).contains("ESTALE");
                    });
            // The mapping is gone: the next write waits for nobody.
            long t1 = System.nanoTime();
            hw.writeDirect(0, ByteBuffer.wrap(filled(4096, 6)), false);
            assertThat(System.nanoTime() - t1).isLessThan(RECALL.toNanos());
        }
    }

    @Test
    void aRegionRevokedBehindItsBackMapsAgainAndReadsTheNewBytes() {
        BlockhausClient mapper = BlockhausClient.builder(channel).clientId("mapper").build();
        BlockhausClient writer = BlockhausClient.builder(channel).clientId("writer").build();
        try (VolumeHandle hm = mapper.open("v"); VolumeHandle hw = writer.open("v")) {
            MappedRegion m = hm.map(0, 65536, true);
            m.get(0, ByteBuffer.allocate(1));
            // Someone else takes over the handle's Watch stream (a new Watch ends the old one) and
            // never acknowledges: the region's acknowledgements stop.
            VolumeIoGrpc.newStub(channel).watch(WatchRequest.newBuilder().setHandle(hm.name()).build(),
                    new StreamObserver<Invalidation>() {
                        @Override
                        public void onNext(Invalidation value) {
                        }

                        @Override
                        public void onError(Throwable t) {
                        }

                        @Override
                        public void onCompleted() {
                        }
                    });
            hw.writeDirect(0, ByteBuffer.wrap(filled(4096, 3)), false); // waits the recall out, revokes
            // The region never heard of the write, so it still holds its copy of page 0; the
            // revocation shows on its next trip to the server (a store), which maps again.
            m.put(100, ByteBuffer.wrap(new byte[] {1}));
            assertThat(m.remaps()).isEqualTo(1);
            ByteBuffer fresh = ByteBuffer.allocate(4096);
            m.get(0, fresh);
            byte[] expected = filled(4096, 3);
            expected[100] = 1;
            assertThat(fresh.array()).isEqualTo(expected);
        }
    }
}
