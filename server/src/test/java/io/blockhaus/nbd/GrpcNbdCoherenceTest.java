package io.blockhaus.nbd;

import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.client.BlockhausClient;
import io.blockhaus.client.MappedRegion;
import io.blockhaus.client.Types;
import io.blockhaus.client.VolumeHandle;
import io.blockhaus.engine.Engine;
import io.blockhaus.engine.EngineConfig;
import io.blockhaus.engine.IoMode;
import io.blockhaus.engine.Volume;
import io.blockhaus.engine.VolumeConfig;
import io.blockhaus.engine.store.MemoryStore;
import io.blockhaus.grpc.FixedCatalog;
import io.blockhaus.grpc.GrpcServer;
import io.blockhaus.grpc.LockStatsBook;
import io.blockhaus.grpc.TestBytes;
import io.blockhaus.testing.ChildJvm;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Both front ends over one engine, each on a real socket (gRPC over the project's Netty): what
 * one protocol writes, the other reads, in every mode; a punch over gRPC reads as zeroes over NBD;
 * a MappedRegion never shows bytes older than a write, TRIM or WRITE_ZEROES another client
 * completed over either protocol (recall before completion, from the engine, for both); a client
 * killed while it holds a mapping delays an NBD direct write by at most the recall timeout.
 */
class GrpcNbdCoherenceTest {
    private static final long SIZE = 4 << 20;
    /** Short, so the killed client's test is quick; long enough that a live client always acks in time. */
    private static final Duration RECALL = Duration.ofSeconds(2);
    private Engine engine;
    private NbdServer nbd;
    private GrpcServer grpc;
    private BlockhausClient client;

    @BeforeEach
    void start() throws Exception {
        engine = new Engine(EngineConfig.withCache(8 << 20));
        LockStatsBook stats = new LockStatsBook();
        Volume v = engine.open(VolumeConfig.of("v"), new MemoryStore(SIZE), stats.recorderFor("v"));
        Volume d = engine.open(VolumeConfig.of("d").withIo(IoMode.DIRECT), new MemoryStore(SIZE), stats.recorderFor("d"));
        nbd = NbdServer.start(NbdServerConfig.defaults(new InetSocketAddress("127.0.0.1", 0)), NbdExports.of(List.of(v, d)));
        grpc = GrpcServer.listen(new InetSocketAddress("127.0.0.1", 0), new FixedCatalog(List.of(v, d), stats), 4, RECALL);
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

    /** The region's bytes at {@code off}, through its local copies (faulting only what it dropped). */
    private static byte[] load(MappedRegion m, long off, int len) {
        ByteBuffer b = ByteBuffer.allocate(len);
        m.get(off, b);
        return b.array();
    }

    @Test
    void aMappedRegionNeverShowsBytesOlderThanACompletedNbdWriteTrimOrZeroOrAnotherClientsBufferedWrite() throws Exception {
        int len = 256 << 10;
        BlockhausClient other = BlockhausClient.connect("127.0.0.1:" + grpc.address().getPort());
        try (VolumeHandle h = client.open("v");
                VolumeHandle hd = client.open("d");
                VolumeHandle ho = other.open("v");
                NbdTestClient n = NbdTestClient.open(nbd.address().getPort(), NbdTestClient.Mode.STRUCTURED, "v");
                NbdTestClient nd = NbdTestClient.open(nbd.address().getPort(), NbdTestClient.Mode.STRUCTURED, "d")) {
            byte[] image = TestBytes.random(10, len);
            n.writeOk(0, image);
            nd.writeOk(0, image);
            MappedRegion m = h.map(0, len, false);
            MappedRegion md = hd.map(0, len, false);
            assertThat(load(m, 0, len)).isEqualTo(image); // every page now held locally
            assertThat(load(md, 0, len)).isEqualTo(image);
            assertThat(m.cachedPages()).isEqualTo(len / 4096);

            // NBD buffered WRITE into pages the region holds (cached: changed in place on the server).
            byte[] a = TestBytes.random(11, 5000);
            n.writeOk(10_000, a);
            System.arraycopy(a, 0, image, 10_000, a.length);
            assertThat(load(m, 0, len)).as("after an NBD WRITE completed").isEqualTo(image);

            // NBD TRIM and WRITE_ZEROES, with partial edge pages zeroed in place.
            assertThat(n.trim(40_000, 30_000).ok()).isTrue();
            java.util.Arrays.fill(image, 40_000, 70_000, (byte) 0);
            assertThat(load(m, 0, len)).as("after an NBD TRIM completed").isEqualTo(image);
            assertThat(n.writeZeroes(100_000, 9_000, 0).ok()).isTrue();
            java.util.Arrays.fill(image, 100_000, 109_000, (byte) 0);
            assertThat(load(m, 0, len)).as("after an NBD WRITE_ZEROES completed").isEqualTo(image);

            // Another gRPC client's buffered write.
            byte[] b = TestBytes.random(12, 3000);
            ho.write(200_000, ByteBuffer.wrap(b), false);
            System.arraycopy(b, 0, image, 200_000, b.length);
            assertThat(load(m, 0, len)).as("after another client's buffered write completed").isEqualTo(image);

            // A direct WRITE on an io=direct export.
            byte[] c = TestBytes.random(13, 8192);
            byte[] imageD = load(md, 0, len);
            nd.writeOk(16384, c);
            System.arraycopy(c, 0, imageD, 16384, c.length);
            assertThat(load(md, 0, len)).as("after an NBD direct WRITE completed").isEqualTo(imageD);
            assertThat(m.remaps() + md.remaps()).as("every recall was acknowledged in time").isZero();
        } finally {
            other.close();
        }
    }

    @Test
    void aClientKilledWhileItHoldsAMappingDelaysAnNbdDirectWriteByAtMostTheRecallTimeout(@TempDir Path dir)
            throws Exception {
        try (ChildJvm child = ChildJvm.start(dir, List.of("-Xmx128m"), MapThenKillChild.class,
                "127.0.0.1:" + grpc.address().getPort(), "d", "0", "65536");
                NbdTestClient nd = NbdTestClient.open(nbd.address().getPort(), NbdTestClient.Mode.STRUCTURED, "d")) {
            child.expectLine("MAPPED 16");
            assertThat(child.kill()).as("child died").isTrue(); // SIGKILL: it never acknowledges, never unmaps

            byte[] data = TestBytes.random(20, 8192);
            long t0 = System.nanoTime();
            nd.writeOk(4096, data); // io=direct: shoots the child's pages down, and recalls them
            long waited = System.nanoTime() - t0;
            assertThat(Duration.ofNanos(waited)).as("the write waited for the dead client's recall")
                    .isGreaterThanOrEqualTo(RECALL.minusMillis(1));
            assertThat(Duration.ofNanos(waited)).as("for at most the recall timeout (plus a loaded machine's slack)")
                    .isLessThan(RECALL.plusSeconds(3));
            assertThat(nd.readOk(4096, data.length)).isEqualTo(data);

            long t1 = System.nanoTime();
            nd.writeOk(4096, TestBytes.random(21, 8192)); // the mapping was revoked: nobody to wait for
            assertThat(Duration.ofNanos(System.nanoTime() - t1)).isLessThan(RECALL);
        }
    }

    /**
     * More writes into mapped pages than the server has call threads (4 here): each waits for an
     * acknowledgement, which is itself a call. Were acknowledgements queued behind the writes on
     * the same threads, every write would wait out the recall timeout and revoke the region.
     */
    @Test
    void writesIntoMappedPagesOnEveryCallThreadDoNotStarveTheAcknowledgementsTheyWaitFor() throws Exception {
        int writers = 12;
        BlockhausClient other = BlockhausClient.connect("127.0.0.1:" + grpc.address().getPort());
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(writers);
        try (VolumeHandle h = client.open("v"); VolumeHandle ho = other.open("v")) {
            h.write(0, ByteBuffer.wrap(new byte[writers * 4096]), false);
            MappedRegion m = h.map(0, writers * 4096L, false);
            for (int round = 0; round < 3; round++) {
                load(m, 0, writers * 4096); // every page held again
                java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
                List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
                for (int i = 0; i < writers; i++) {
                    int page = i;
                    int value = round * writers + i + 1;
                    done.add(pool.submit(() -> {
                        go.await();
                        ho.write(page * 4096L + 7, ByteBuffer.wrap(new byte[] {(byte) value}), false);
                        return null;
                    }));
                }
                long t0 = System.nanoTime();
                go.countDown();
                for (java.util.concurrent.Future<?> f : done) {
                    f.get(60, TimeUnit.SECONDS);
                }
                assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("round " + round + ": no write waited out the recall")
                        .isLessThan(RECALL);
                for (int i = 0; i < writers; i++) {
                    assertThat(load(m, i * 4096L + 7, 1)[0]).isEqualTo((byte) (round * writers + i + 1));
                }
            }
            assertThat(m.remaps()).as("no recall timed out").isZero();
        } finally {
            pool.shutdownNow();
            other.close();
        }
    }
}
