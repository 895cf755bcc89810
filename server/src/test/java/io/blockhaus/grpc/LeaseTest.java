package io.blockhaus.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.blockhaus.client.BlockhausClient;
import io.blockhaus.client.BlockhausException;
import io.blockhaus.client.MappedRegion;
import io.blockhaus.client.VolumeHandle;
import io.blockhaus.engine.Engine;
import io.blockhaus.engine.EngineConfig;
import io.blockhaus.engine.Volume;
import io.blockhaus.engine.VolumeConfig;
import io.blockhaus.engine.store.MemoryStore;
import io.blockhaus.proto.v1.OpenHandleRequest;
import io.blockhaus.proto.v1.VolumeIoGrpc;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Leases on a fake clock: a client's handles (and their mappings) stay while a connection of it is
 * open and for the lease after its last one closed, then the server closes them; a client that
 * names itself gets them back on a new connection within the lease; a client without a name is
 * its connection.
 */
class LeaseTest {
    private static final long SECOND = 1_000_000_000L;
    private final AtomicLong clock = new AtomicLong();
    private Engine engine;
    private Volume volume;
    private GrpcServer server;
    private String name;

    @BeforeEach
    void start() {
        engine = new Engine(EngineConfig.withCache(4 << 20).withBackgroundThreads(false));
        volume = engine.open(VolumeConfig.of("v"), new MemoryStore(1 << 20));
        name = InProcessServerBuilder.generateName();
        server = GrpcServer.start(InProcessServerBuilder.forName(name).directExecutor(),
                new FixedCatalog(List.of(volume), new LockStatsBook()), Duration.ofSeconds(30), clock::get,
                GrpcServer.DEFAULT_RECALL_TIMEOUT);
    }

    @AfterEach
    void stop() {
        server.close();
        engine.close();
    }

    private ManagedChannel channel() {
        return InProcessChannelBuilder.forName(name).directExecutor().build();
    }

    private static void closeChannel(ManagedChannel ch) throws InterruptedException {
        ch.shutdownNow();
        assertThat(ch.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }

    /** Advances the clock past the lease until the sweep closes something (the server hears of the close asynchronously). */
    private int sweepUntilClosed() {
        long deadline = System.nanoTime() + 10 * SECOND;
        while (true) {
            clock.addAndGet(31 * SECOND);
            int n = server.sweepLeases();
            if (n > 0) {
                return n;
            }
            assertThat(System.nanoTime()).as("the lease never ran out").isLessThan(deadline);
            java.util.concurrent.locks.LockSupport.parkNanos(10_000_000); // polling interval of a bounded wait
        }
    }

    @Test
    void aVanishedClientLosesItsHandlesAndMappingsAfterTheLease() throws Exception {
        ManagedChannel ch = channel();
        BlockhausClient c = BlockhausClient.builder(ch).clientId("a").build();
        VolumeHandle h = c.open("v");
        MappedRegion m = h.map(0, 65536, true);
        m.put(0, ByteBuffer.wrap(new byte[] {1}));
        m.get(0, ByteBuffer.allocate(1));
        assertThat(volume.openHandles()).isEqualTo(1);
        clock.addAndGet(3600 * SECOND);
        assertThat(server.sweepLeases()).as("an open connection keeps the client alive").isZero();
        closeChannel(ch);
        assertThat(sweepUntilClosed()).isEqualTo(1);
        assertThat(volume.openHandles()).isZero();
        assertThat(server.openHandles()).isZero();
        ManagedChannel again = channel();
        try {
            BlockhausClient back = BlockhausClient.builder(again).clientId("a").build();
            assertThatThrownBy(() -> back.attach(h.name())).isInstanceOf(BlockhausException.NotFound.class);
        } finally {
            closeChannel(again);
        }
    }

    @Test
    void aNamedClientThatReconnectsWithinTheLeaseKeepsItsHandles() throws Exception {
        ManagedChannel first = channel();
        VolumeHandle h = BlockhausClient.builder(first).clientId("b").build().open("v");
        closeChannel(first);
        clock.addAndGet(20 * SECOND);
        assertThat(server.sweepLeases()).isZero();
        ManagedChannel second = channel();
        BlockhausClient c = BlockhausClient.builder(second).clientId("b").build();
        VolumeHandle same = c.attach(h.name());
        assertThat(same.stat().sizeBytes()).isEqualTo(1 << 20); // a call on the new connection renews the lease
        clock.addAndGet(3600 * SECOND);
        assertThat(server.sweepLeases()).isZero();
        assertThat(volume.openHandles()).isEqualTo(1);
        closeChannel(second);
        assertThat(sweepUntilClosed()).isEqualTo(1);
    }

    @Test
    void aClientWithoutANameIsItsConnection() throws Exception {
        ManagedChannel ch = channel();
        VolumeIoGrpc.newBlockingStub(ch).openHandle(OpenHandleRequest.newBuilder().setVolume("volumes/v").build());
        assertThat(volume.openHandles()).isEqualTo(1);
        closeChannel(ch);
        assertThat(sweepUntilClosed()).isEqualTo(1);
        assertThat(volume.openHandles()).isZero();
    }

    @Test
    void oneClientHoldsAtMostItsShareOfHandles() throws Exception {
        ManagedChannel ch = channel();
        try {
            BlockhausClient c = BlockhausClient.builder(ch).clientId("greedy").build();
            for (int i = 0; i < GrpcServer.MAX_HANDLES_PER_CLIENT; i++) {
                c.open("v");
            }
            assertThatThrownBy(() -> c.open("v")).isInstanceOfSatisfying(BlockhausException.NoSpace.class,
                    e -> assertThat(e.errno()).isEqualTo("EMFILE"));
            BlockhausClient other = BlockhausClient.builder(ch).clientId("modest").build();
            other.open("v").close(); // another client is still served
            assertThat(volume.openHandles()).isEqualTo(GrpcServer.MAX_HANDLES_PER_CLIENT);
        } finally {
            closeChannel(ch);
        }
    }

    @Test
    void overTcpAClosedConnectionStartsTheLease() throws Exception {
        GrpcServer tcp = GrpcServer.listen(new java.net.InetSocketAddress("127.0.0.1", 0),
                new FixedCatalog(List.of(volume), new LockStatsBook()), 2, Duration.ofSeconds(30), clock::get,
                GrpcServer.DEFAULT_RECALL_TIMEOUT);
        try {
            BlockhausClient c = BlockhausClient.connect("127.0.0.1:" + tcp.address().getPort());
            c.open("v");
            assertThat(volume.openHandles()).isEqualTo(1);
            clock.addAndGet(3600 * SECOND);
            assertThat(tcp.sweepLeases()).as("an open connection keeps the client alive").isZero();
            c.close();
            long deadline = System.nanoTime() + 10 * SECOND;
            while (true) {
                clock.addAndGet(31 * SECOND);
                if (tcp.sweepLeases() > 0) {
                    break;
                }
                assertThat(System.nanoTime()).as("the lease never ran out").isLessThan(deadline);
                java.util.concurrent.locks.LockSupport.parkNanos(10_000_000); // polling interval of a bounded wait
            }
            assertThat(volume.openHandles()).isZero();
        } finally {
            tcp.close();
        }
    }
}
