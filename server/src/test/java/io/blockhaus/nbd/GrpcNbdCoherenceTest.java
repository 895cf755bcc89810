package io.blockhaus.nbd;

import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.client.BlockhausClient;
import io.blockhaus.client.Types;
import io.blockhaus.client.VolumeHandle;
import io.blockhaus.engine.Engine;
import io.blockhaus.engine.EngineConfig;
import io.blockhaus.engine.Volume;
import io.blockhaus.engine.VolumeConfig;
import io.blockhaus.engine.store.MemoryStore;
import io.blockhaus.grpc.FixedCatalog;
import io.blockhaus.grpc.GrpcServer;
import io.blockhaus.grpc.LockStatsBook;
import io.blockhaus.grpc.TestBytes;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Both front ends over one engine, each on a real socket (gRPC over the project's Netty): what
 * one protocol writes, the other reads, in every mode; a punch over gRPC reads as zeroes over NBD.
 */
class GrpcNbdCoherenceTest {
    private static final long SIZE = 4 << 20;
    private Engine engine;
    private NbdServer nbd;
    private GrpcServer grpc;
    private BlockhausClient client;

    @BeforeEach
    void start() throws Exception {
        engine = new Engine(EngineConfig.withCache(8 << 20));
        LockStatsBook stats = new LockStatsBook();
        Volume v = engine.open(VolumeConfig.of("v"), new MemoryStore(SIZE), stats.recorderFor("v"));
        nbd = NbdServer.start(NbdServerConfig.defaults(new InetSocketAddress("127.0.0.1", 0)), NbdExports.of(List.of(v)));
        grpc = GrpcServer.listen(new InetSocketAddress("127.0.0.1", 0), new FixedCatalog(List.of(v), stats), 4);
        client = BlockhausClient.connect("127.0.0.1:" + grpc.address().getPort());
    }

    @AfterEach
    void stop() {
        client.close();
        grpc.close();
        nbd.close();
        engine.close();
    }


    @Test
    void writesOverOneProtocolReadBackOverTheOther() throws Exception {
        try (VolumeHandle h = client.open("v");
                NbdTestClient n = NbdTestClient.open(nbd.address().getPort(), NbdTestClient.Mode.STRUCTURED, "v")) {
            byte[] a = TestBytes.random(1, 200_000);
            h.write(5000, ByteBuffer.wrap(a), false); // buffered, still dirty in the cache
            assertThat(n.readOk(5000, a.length)).isEqualTo(a);

            byte[] b = TestBytes.random(2, 1 << 20);
            h.writeDirect(1 << 20, ByteBuffer.wrap(b), true);
            assertThat(n.readOk(1 << 20, b.length)).isEqualTo(b);

            byte[] c = TestBytes.random(3, 70_000);
            n.writeOk(3 << 20, c);
            assertThat(TestBytes.of(h.read(3 << 20, c.length))).isEqualTo(c);
            assertThat(TestBytes.of(h.readDirect(3 << 20, c.length))).isEqualTo(c);
        }
    }

    @Test
    void aPunchOverGrpcReadsAsZeroesOverNbdEvenWhereNbdHadThePagesCached() throws Exception {
        try (VolumeHandle h = client.open("v");
                NbdTestClient n = NbdTestClient.open(nbd.address().getPort(), NbdTestClient.Mode.STRUCTURED, "v")) {
            byte[] a = TestBytes.random(4, 256 << 10);
            n.writeOk(0, a);
            assertThat(n.readOk(0, a.length)).isEqualTo(a);
            h.fallocate(Types.FallocateMode.PUNCH_HOLE, 64 << 10, 128 << 10);
            byte[] back = n.readOk(0, a.length);
            assertThat(java.util.Arrays.copyOfRange(back, 64 << 10, 192 << 10)).containsOnly(0);
            assertThat(java.util.Arrays.copyOfRange(back, 0, 64 << 10)).isEqualTo(java.util.Arrays.copyOfRange(a, 0, 64 << 10));
            assertThat(h.blockStatus(64 << 10, 128 << 10)).allSatisfy(e -> assertThat(e.zero()).isTrue());
        }
    }

    @Test
    void aTruncateOverGrpcWhileAnNbdClientReadsNeverShowsCutBytesAgain() throws Exception {
        byte[] head = TestBytes.random(5, 64 << 10);
        byte[] tail = TestBytes.random(6, 64 << 10);
        try (VolumeHandle h = client.open("v");
                NbdTestClient reader = NbdTestClient.open(nbd.address().getPort(), NbdTestClient.Mode.STRUCTURED, "v");
                NbdTestClient n = NbdTestClient.open(nbd.address().getPort(), NbdTestClient.Mode.STRUCTURED, "v")) {
            h.write(0, ByteBuffer.wrap(head), false);
            h.write(2 << 20, ByteBuffer.wrap(tail), false);
            assertThat(n.readOk(2 << 20, tail.length)).isEqualTo(tail);
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            java.util.concurrent.CompletableFuture<Integer> reads = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                int count = 0;
                try {
                    while (!stop.get() || count == 0) { // the head is never cut: it must always read back whole
                        assertThat(reader.readOk(0, head.length)).isEqualTo(head);
                        count++;
                    }
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                return count;
            });
            for (int round = 0; round < 20; round++) {
                h.setSize(1 << 20); // cuts the tail off
                NbdTestClient.Result past = n.read(2 << 20, 4096); // this connection still has the old size
                assertThat(past.ok()).as("a read past the new end fails").isFalse();
                h.setSize(SIZE);
                assertThat(n.readOk(2 << 20, tail.length)).as("round " + round).containsOnly(0);
                h.write(2 << 20, ByteBuffer.wrap(tail), false);
            }
            stop.set(true);
            assertThat(reads.get(60, java.util.concurrent.TimeUnit.SECONDS)).isPositive();
        }
    }
}
