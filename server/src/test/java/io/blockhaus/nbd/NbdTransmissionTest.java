package io.blockhaus.nbd;

import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.engine.EngineConfig;
import io.blockhaus.engine.VolumeConfig;
import io.blockhaus.engine.store.MemoryStore;
import io.blockhaus.engine.store.SparseFileStore;
import io.blockhaus.nbd.NbdTestClient.Chunk;
import io.blockhaus.nbd.NbdTestClient.Extent;
import io.blockhaus.nbd.NbdTestClient.Mode;
import io.blockhaus.nbd.NbdTestClient.Result;
import io.blockhaus.nbd.codec.NbdCommand;
import io.blockhaus.nbd.codec.NbdCommandFlags;
import io.blockhaus.nbd.codec.NbdReplyType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every transmission command, with simple, structured and extended replies, against a memory
 * volume ("default") and a sparse-file volume ("file"). Each test works in its own region of the
 * volumes, so they share one server.
 */
class NbdTransmissionTest {
    private static final long SIZE = 256L << 20;
    private static final long REGION = 4L << 20;
    private static final int STATE_HOLE_ZERO = 3;
    private static final long SEED = System.nanoTime();
    private static final AtomicLong nextRegion = new AtomicLong();

    @TempDir
    static Path dir;
    private static NbdTestServer server;
    private static Path file;

    @BeforeAll
    static void start() throws InterruptedException {
        System.out.println("NbdTransmissionTest seed " + SEED);
        file = dir.resolve("file.img");
        server = new NbdTestServer(EngineConfig.withCache(64L << 20), NbdTestServer.config(),
                List.of(VolumeConfig.of("default"), VolumeConfig.of("file")),
                List.of(new MemoryStore(SIZE), SparseFileStore.create(file, SIZE)));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** A fresh, never touched 4 MiB region (the same offset on both volumes). */
    private static long region() {
        long r = nextRegion.getAndIncrement() * REGION;
        assertThat(r + REGION).isLessThanOrEqualTo(SIZE);
        return r;
    }

    private static byte[] random(Random rnd, int n) {
        byte[] b = new byte[n];
        rnd.nextBytes(b);
        return b;
    }

    private static NbdTestClient open(Mode mode) throws IOException {
        return NbdTestClient.open(server.port(), mode);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void everyCommandWorks(Mode mode) throws IOException {
        Random rnd = new Random(SEED ^ mode.ordinal());
        long base = region();
        try (NbdTestClient c = open(mode)) {
            byte[] data = random(rnd, 100_000);
            Result w = c.write(base + 3, data);
            assertThat(w.ok()).as("%s", w).isTrue();
            assertOkShape(c, w);
            assertThat(c.readOk(base + 3, data.length)).isEqualTo(data);
            // Unaligned, crossing pages: a partial read.
            byte[] part = c.readOk(base + 4099, 5000);
            assertThat(part).isEqualTo(java.util.Arrays.copyOfRange(data, 4096, 9096));

            assertOkShape(c, c.flush());
            Result fua = c.write(base + 200_000, data, NbdCommandFlags.FUA);
            assertThat(fua.ok()).isTrue();
            assertOkShape(c, c.cache(base, 200_000));

            Result trim = c.trim(base, 65536);
            assertOkShape(c, trim);
            assertThat(c.readOk(base, 65536)).containsOnly(0);
            assertThat(c.readOk(base + 65536, 100_003 - 65536))
                    .isEqualTo(java.util.Arrays.copyOfRange(data, 65533, 100_000));

            Result z = c.writeZeroes(base + 200_000, 50_000, 0);
            assertOkShape(c, z);
            assertThat(c.readOk(base + 200_000, 50_000)).containsOnly(0);
            assertThat(c.readOk(base + 250_000, 50_000)).isEqualTo(java.util.Arrays.copyOfRange(data, 50_000, 100_000));

            if (mode != Mode.SIMPLE) {
                Result bs = c.blockStatus(base, 65536, 0);
                assertThat(bs.ok()).isTrue();
                assertThat(bs.extents()).isNotEmpty().allSatisfy(e -> assertThat(e.flags()).isEqualTo(STATE_HOLE_ZERO));
                assertThat(bs.extents().stream().mapToLong(Extent::length).sum()).isEqualTo(65536);
            } else {
                // No structured replies: no meta context, so BLOCK_STATUS is invalid (simple EINVAL).
                assertThat(c.blockStatus(base, 65536, 0).error()).isEqualTo(22);
            }
        }
    }

    /** Success without data: a simple reply, or (extended headers) one NONE chunk with DONE. */
    private static void assertOkShape(NbdTestClient c, Result r) {
        assertThat(r.ok()).as("%s", r).isTrue();
        assertThat(r.messages()).hasSize(1);
        if (c.extended()) {
            Chunk ch = (Chunk) r.messages().getFirst();
            assertThat(ch.type()).isEqualTo(NbdReplyType.NONE.code());
            assertThat(ch.done()).isTrue();
            assertThat(ch.extended()).isTrue();
        } else {
            assertThat(r.messages().getFirst()).isInstanceOf(NbdTestClient.Simple.class);
        }
    }

    @Test
    void simpleReadRepliesCarryTheDataInline() throws IOException {
        long base = region();
        try (NbdTestClient c = open(Mode.SIMPLE)) {
            byte[] data = random(new Random(SEED), 8192);
            c.writeOk(base, data);
            Result r = c.read(base, 8192);
            assertThat(r.messages()).singleElement().isInstanceOf(NbdTestClient.Simple.class);
            assertThat(r.data()).isEqualTo(data);
        }
    }

    @Test
    void sparseReadTravelsAsHolesWithoutDfAndAsOneDataChunkWithDf() throws IOException {
        long base = region();
        try (NbdTestClient c = open(Mode.STRUCTURED)) {
            byte[] data = random(new Random(SEED + 1), 4096);
            c.writeOk(base + 65536, data);
            int len = 256 * 1024;

            Result sparse = c.read(base, len);
            assertThat(sparse.ok()).isTrue();
            assertThat(sparse.chunks(NbdReplyType.OFFSET_HOLE)).as("%s", sparse.messages()).isNotEmpty();
            assertThat(sparse.chunks(NbdReplyType.OFFSET_DATA)).isNotEmpty();
            assertThat(sparse.chunks().getLast().done()).isTrue();
            assertThat(sparse.chunks().subList(0, sparse.chunks().size() - 1)).noneMatch(Chunk::done);
            byte[] expected = new byte[len];
            System.arraycopy(data, 0, expected, 65536, 4096);
            assertThat(sparse.data()).isEqualTo(expected);
            // The chunks cover the request exactly once.
            long covered = 0;
            for (Chunk ch : sparse.chunks()) {
                ByteBuffer b = ByteBuffer.wrap(ch.payload());
                if (ch.type() == NbdReplyType.OFFSET_DATA.code()) {
                    covered += ch.payload().length - 8;
                } else if (ch.type() == NbdReplyType.OFFSET_HOLE.code()) {
                    b.getLong();
                    covered += Integer.toUnsignedLong(b.getInt());
                }
            }
            assertThat(covered).isEqualTo(len);

            Result df = c.read(base, len, NbdCommandFlags.DF);
            assertThat(df.chunks()).hasSize(1);
            Chunk only = df.chunks().getFirst();
            assertThat(only.type()).isEqualTo(NbdReplyType.OFFSET_DATA.code());
            assertThat(only.done()).isTrue();
            assertThat(ByteBuffer.wrap(only.payload()).getLong()).isEqualTo(base);
            assertThat(df.data()).isEqualTo(expected);
        }
    }

    @Test
    void dfWithoutStructuredRepliesIsInvalid() throws IOException {
        long base = region();
        try (NbdTestClient c = open(Mode.SIMPLE)) {
            assertThat(c.read(base, 4096, NbdCommandFlags.DF).error()).isEqualTo(22);
            assertThat(c.read(base, 4096).ok()).isTrue();
        }
    }

    @Test
    void trimMakesAHoleThatReadsAsZeroes() throws IOException {
        long base = region();
        try (NbdTestClient c = open(Mode.STRUCTURED)) {
            c.writeOk(base, random(new Random(SEED + 2), 131072));
            Result before = c.blockStatus(base, 131072, 0);
            assertThat(before.extents()).first().satisfies(e -> assertThat(e.flags()).isZero());
            assertThat(c.trim(base, 131072).ok()).isTrue();
            assertThat(c.readOk(base, 131072)).containsOnly(0);
            Result after = c.blockStatus(base, 131072, 0);
            assertThat(after.extents()).allSatisfy(e -> assertThat(e.flags()).isEqualTo(STATE_HOLE_ZERO));
            assertThat(after.extents().stream().mapToLong(Extent::length).sum()).isEqualTo(131072);
        }
    }

    @Test
    void writeZeroesWithNoHoleKeepsAllocationAndWithoutItPunches() throws IOException {
        long base = region();
        try (NbdTestClient c = open(Mode.STRUCTURED, "file")) {
            c.writeOk(base, random(new Random(SEED + 3), 262144));
            assertThat(c.flush().ok()).isTrue();

            // Red on ext4 (engine, not NBD): ZERO_RANGE leaves unwritten extents, which stay
            // allocated (st_blocks unchanged) but SEEK_DATA skips them, so the store's extents()
            // reports a hole. NBD_STATE_HOLE means "not allocated", so this is wrong on the wire.
            assertThat(c.writeZeroes(base, 131072, NbdCommandFlags.NO_HOLE).ok()).isTrue();
            assertThat(c.readOk(base, 131072)).containsOnly(0);
            Result kept = c.blockStatus(base, 131072, 0);
            assertThat(kept.extents()).as("NO_HOLE must leave the range allocated (not a hole): %s", kept.extents())
                    .allSatisfy(e -> assertThat(e.flags() & 1).isZero());

            assertThat(c.writeZeroes(base + 131072, 131072, 0).ok()).isTrue();
            assertThat(c.readOk(base + 131072, 131072)).containsOnly(0);
            Result punched = c.blockStatus(base + 131072, 131072, 0);
            assertThat(punched.extents()).allSatisfy(e -> assertThat(e.flags()).isEqualTo(STATE_HOLE_ZERO));
        }
    }

    private static NbdTestClient open(Mode mode, String export) throws IOException {
        return NbdTestClient.open(server.port(), mode, export);
    }

    @Test
    void fastZeroOnAMemoryStoreSucceeds() throws IOException {
        long base = region();
        try (NbdTestClient c = open(Mode.STRUCTURED)) {
            c.writeOk(base, random(new Random(SEED + 4), 65536));
            Result r = c.writeZeroes(base, 65536, NbdCommandFlags.FAST_ZERO);
            assertThat(r.ok()).as("%s", r).isTrue();
            assertThat(c.readOk(base, 65536)).containsOnly(0);
        }
    }

    @Test
    void fuaWriteIsInTheFileWhenAcknowledged() throws IOException {
        long base = region();
        byte[] data = random(new Random(SEED + 5), 12288);
        try (NbdTestClient c = open(Mode.SIMPLE, "file");
                FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            Result r = c.write(base + 1000, data, NbdCommandFlags.FUA);
            assertThat(r.ok()).isTrue();
            ByteBuffer onDisk = ByteBuffer.allocate(data.length);
            while (onDisk.hasRemaining()) {
                if (ch.read(onDisk, base + 1000 + onDisk.position()) < 0) {
                    break;
                }
            }
            assertThat(onDisk.array()).isEqualTo(data);
        }
    }

    @Test
    void pipelinedRequestsAreEachAnsweredOnceWithTheRightData() throws IOException {
        Random rnd = new Random(SEED + 6);
        long base = region();
        try (NbdTestClient c = open(Mode.STRUCTURED)) {
            // 64 writes of 4-60 KiB at distinct 64 KiB slots, sent without waiting.
            Map<Long, long[]> writes = new LinkedHashMap<>(); // cookie -> {offset, slot}
            byte[][] contents = new byte[64][];
            for (int i = 0; i < 64; i++) {
                contents[i] = random(rnd, 4096 + rnd.nextInt(56 * 1024));
                long off = base + i * 65536L + rnd.nextInt(1024);
                writes.put(c.send(0, NbdCommand.WRITE, off, contents[i].length, contents[i]), new long[] {off, i});
            }
            Map<Long, Result> wr = c.awaitAll(writes.keySet());
            assertThat(wr).hasSize(64).allSatisfy((k, r) -> assertThat(r.ok()).isTrue());

            // 64 requests mixed: reads of every slot, interleaved with flushes and cache hints.
            Map<Long, Integer> reads = new LinkedHashMap<>();
            List<Long> others = new ArrayList<>();
            for (Map.Entry<Long, long[]> e : writes.entrySet()) {
                int slot = (int) e.getValue()[1];
                reads.put(c.send(0, NbdCommand.READ, e.getValue()[0], contents[slot].length, null), slot);
                if (slot % 8 == 0) {
                    others.add(c.send(0, NbdCommand.FLUSH, 0, 0, null));
                    others.add(c.send(0, NbdCommand.CACHE, e.getValue()[0], 65536, null));
                }
            }
            List<Long> all = new ArrayList<>(reads.keySet());
            all.addAll(others);
            Map<Long, Result> rr = c.awaitAll(all);
            assertThat(rr).hasSize(all.size());
            for (Map.Entry<Long, Integer> e : reads.entrySet()) {
                Result r = rr.get(e.getKey());
                assertThat(r.ok()).isTrue();
                assertThat(r.data()).as("slot %d", e.getValue()).isEqualTo(contents[e.getValue()]);
            }
            assertThat(others).allSatisfy(k -> assertThat(rr.get(k).ok()).isTrue());
            // Nothing is answered twice: the next message on the wire is the reply to a new request.
            long probe = c.send(0, NbdCommand.FLUSH, 0, 0, null);
            assertThat(c.readMessage().cookie()).isEqualTo(probe);
        }
    }

    @Test
    void disconnectWithRequestsInFlightAnswersThemAllThenCloses() throws IOException {
        long base = region();
        try (NbdTestClient c = open(Mode.STRUCTURED)) {
            byte[] data = random(new Random(SEED + 7), 1 << 20);
            c.writeOk(base, data);
            List<Long> cookies = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                cookies.add(c.send(NbdCommandFlags.DF, NbdCommand.READ, base + i * 65536L, 65536, null));
            }
            c.disconnect();
            Map<Long, Result> results = c.awaitAll(cookies);
            for (int i = 0; i < 16; i++) {
                assertThat(results.get(cookies.get(i)).data())
                        .isEqualTo(java.util.Arrays.copyOfRange(data, i * 65536, (i + 1) * 65536));
            }
            assertThat(c.awaitClosed(Duration.ofSeconds(10))).isTrue();
        }
    }

    @Test
    void multipleConnectionsSeeEachOthersWrites() throws IOException {
        long base = region();
        try (NbdTestClient a = open(Mode.SIMPLE); NbdTestClient b = open(Mode.STRUCTURED)) {
            byte[] data = random(new Random(SEED + 8), 10000);
            a.writeOk(base, data);
            assertThat(b.readOk(base, data.length)).isEqualTo(data);
        }
    }

    /**
     * Streaming-sized requests (1 MiB, over the 256 KiB bypass) go around the cache, while small
     * writes on another connection sit in it, dirty: every connection still sees the newest bytes.
     */
    @ParameterizedTest
    @ValueSource(strings = {"default", "file"})
    void streamingRequestsAndCachedWritesStayCoherentAcrossConnections(String export) throws IOException {
        long base = region();
        Random rnd = new Random(SEED + 9);
        // a: simple replies, so a 1 MiB READ is one engine read (structured ones ask for holes first)
        try (NbdTestClient a = open(Mode.SIMPLE, export); NbdTestClient b = open(Mode.STRUCTURED, export)) {
            byte[] patch = random(rnd, 4096);
            a.writeOk(base + 8192, patch); // cached, dirty
            byte[] all = a.readOk(base, 1 << 20); // bypassed: the dirty page laid over the store's bytes
            assertThat(Arrays.copyOfRange(all, 8192, 8192 + 4096)).isEqualTo(patch);
            byte[] stream = random(rnd, 1 << 20);
            b.writeOk(base, stream); // bypassed: the cached page is updated in place
            assertThat(a.readOk(base + 8192, 4096)).as("the cached page, on the other connection")
                    .isEqualTo(Arrays.copyOfRange(stream, 8192, 8192 + 4096));
            assertThat(b.readOk(base, 1 << 20)).isEqualTo(stream);
            byte[] patch2 = random(rnd, 100);
            a.writeOk(base + 5000, patch2); // read-modify-write of a page the store has from the stream
            System.arraycopy(patch2, 0, stream, 5000, 100);
            assertThat(a.readOk(base, 1 << 20)).isEqualTo(stream);
            assertThat(b.readOk(base, 1 << 20)).isEqualTo(stream);
        }
    }
}
