package io.blockhaus.nbd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.blockhaus.engine.VolumeConfig;
import io.blockhaus.nbd.NbdTestClient.Mode;
import io.blockhaus.nbd.NbdTestClient.Result;
import io.blockhaus.nbd.codec.NbdCommand;
import io.blockhaus.nbd.codec.NbdMagic;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Large WRITEs spliced from the socket into the file (WriteSplicer): pipelined streams land
 * intact, a payload that arrives after its header is joined from pipe and socket, and every
 * WRITE worth splicing is counted as spliced or copied. Real sockets, a file export.
 */
class NbdSpliceTest {
    private static final long SEED = Long.getLong("nbd.seed", System.nanoTime());
    private static final int SIZE = 64 << 20;
    private static final int PAGE = 4096;

    static {
        System.out.println("NbdSpliceTest seed " + SEED + " (repeat with -Dnbd.seed=" + SEED + ")");
    }

    @TempDir
    Path dir;

    private NbdTestServer start(boolean splice) throws InterruptedException {
        return start(splice, VolumeConfig.of("default"));
    }

    private NbdTestServer start(boolean splice, VolumeConfig volume) throws InterruptedException {
        NbdTestServer s = NbdTestServer.builder()
                .server(NbdTestServer.config().withSpliceWrites(splice))
                .file(volume, dir.resolve("v.img"), SIZE)
                .start();
        if (!s.server().transport().equals("epoll")) {
            s.close();
            assumeTrue(false, "Netty's native epoll transport did not load here: WRITE splicing needs it");
        }
        return s;
    }

    private static void awaitCondition(BooleanSupplier cond, String what) {
        Await.until(what, Duration.ofSeconds(20), cond);
    }

    /**
     * Pipelined aligned WRITEs of 256 KiB to 1 MiB, with small unaligned ones between, eight in
     * flight at a time and never two overlapping in flight (their order would be undefined).
     */
    private static byte[] stream(NbdTestClient c, Random rnd, byte[] model, int writes) throws IOException {
        return stream(c, rnd, model, writes, 64, c::sendWrite);
    }

    /** How a WRITE goes on the wire; returns its cookie. */
    private interface WriteSender {
        long send(long offset, byte[] data) throws IOException;
    }

    /** As above, large WRITEs from {@code minPages} pages to 1 MiB, each sent by {@code sender}. */
    private static byte[] stream(NbdTestClient c, Random rnd, byte[] model, int writes, int minPages, WriteSender sender)
            throws IOException {
        List<Long> cookies = new ArrayList<>();
        List<long[]> inFlight = new ArrayList<>();
        for (int i = 0; i < writes; i++) {
            boolean small = rnd.nextInt(5) == 0;
            int len = small ? 1 + rnd.nextInt(3 * PAGE) : (minPages + rnd.nextInt(257 - minPages)) * PAGE;
            long off = freeOffset(rnd, inFlight, small, len);
            byte[] data = new byte[len];
            rnd.nextBytes(data);
            System.arraycopy(data, 0, model, (int) off, len);
            cookies.add(sender.send(off, data));
            inFlight.add(new long[] {off, off + len});
            if (cookies.size() == 8) {
                awaitOk(c, cookies);
                inFlight.clear();
            }
        }
        awaitOk(c, cookies);
        return model;
    }

    /** A random offset for {@code len} bytes (page-aligned unless small) overlapping nothing in flight. */
    private static long freeOffset(Random rnd, List<long[]> inFlight, boolean small, int len) {
        long off;
        do {
            off = small ? rnd.nextInt(SIZE - len) : (long) rnd.nextInt((SIZE - len) / PAGE) * PAGE;
        } while (overlaps(inFlight, off, len));
        return off;
    }

    private static boolean overlaps(List<long[]> ranges, long off, int len) {
        return ranges.stream().anyMatch(r -> off < r[1] && r[0] < off + len);
    }

    private static void awaitOk(NbdTestClient c, List<Long> cookies) throws IOException {
        Map<Long, Result> done = c.awaitAll(cookies);
        assertThat(done.values()).allSatisfy(r -> assertThat(r.ok()).as("%s", r).isTrue());
        cookies.clear();
    }

    private static void assertVolumeIs(NbdTestClient c, byte[] model) throws IOException {
        for (int off = 0; off < SIZE; off += 1 << 20) {
            byte[] got = c.readOk(off, 1 << 20);
            if (!Arrays.equals(got, 0, got.length, model, off, off + got.length)) {
                assertThat(got).as("MiB at %d", off).isEqualTo(Arrays.copyOfRange(model, off, off + got.length));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void pipelinedStreamingWritesLandIntact(Mode mode) throws Exception {
        try (NbdTestServer s = start(true); NbdTestClient c = NbdTestClient.open(s.port(), mode);
                NbdTestClient other = NbdTestClient.open(s.port(), Mode.STRUCTURED)) {
            byte[] model = stream(c, new Random(SEED ^ mode.ordinal()), new byte[SIZE], 60);
            assertThat(s.server().splicedWrites() + s.server().pipeCopiedWrites())
                    .as("a stream of large WRITEs goes through pipes").isPositive();
            assertVolumeIs(other, model);
            assertVolumeIs(c, model);
        }
    }

    @Test
    void withSplicingOffTheSameStreamLandsTheSameWay() throws Exception {
        try (NbdTestServer s = start(false); NbdTestClient c = NbdTestClient.open(s.port(), Mode.STRUCTURED)) {
            byte[] model = stream(c, new Random(SEED), new byte[SIZE], 30);
            assertVolumeIs(c, model);
            assertThat(s.server().splicedWrites() + s.server().pipeCopiedWrites()).isZero();
        }
    }

    @Test
    void aPayloadArrivingAfterItsHeaderIsSplicedFromThePipeAndTheRestWritten() throws Exception {
        Random rnd = new Random(SEED + 1);
        try (NbdTestServer s = start(true); NbdTestClient c = NbdTestClient.open(s.port(), Mode.SIMPLE)) {
            byte[] first = new byte[1 << 20];
            rnd.nextBytes(first);
            assertThat(c.await(c.sendWrite(0, first)).ok()).as("the connection now reads one header at a time").isTrue();
            byte[] data = new byte[1 << 20];
            rnd.nextBytes(data);
            long cookie = 77;
            long splicedBefore = s.server().splicedWrites();
            c.expect(cookie, NbdCommand.WRITE, 2 << 20, data.length);
            // Header and a first part in one send, so the header never arrives without payload.
            ByteBuffer head = ByteBuffer.allocate(28 + 300_000);
            head.putInt(NbdMagic.REQUEST).putShort((short) 0).putShort((short) NbdCommand.WRITE.code())
                    .putLong(cookie).putLong(2 << 20).putInt(data.length).put(data, 0, 300_000);
            c.raw(head.array());
            awaitCondition(() -> s.server().partlySplicedWrites() == 1, "the server to splice the part that arrived");
            c.raw(Arrays.copyOfRange(data, 300_000, data.length));
            assertThat(c.await(cookie).ok()).isTrue();
            // The pipe's part is spliced on; the rest follows it into the pipe as it arrives, or, where
            // some of it slipped into a read first, is written after it from the JVM.
            assertThat(s.server().pipeCopiedWrites()).as("the pipe's part is not copied out").isZero();
            assertThat(s.server().splicedWrites()).as("it is spliced, the rest written after it").isEqualTo(splicedBefore + 1);
            long piped = s.server().splicedWrites() + s.server().pipeCopiedWrites();
            assertThat(c.await(c.sendWrite(4 << 20, data)).ok()).isTrue();
            // Whether all of it had arrived when its header was read is the kernel's timing; that
            // it went through a pipe is not: the connection still reads one header at a time.
            assertThat(s.server().splicedWrites() + s.server().pipeCopiedWrites()).as("the next one goes through a pipe too")
                    .isEqualTo(piped + 1);
            assertThat(c.readOk(2 << 20, data.length)).isEqualTo(data);
            assertThat(c.readOk(0, first.length)).isEqualTo(first);
            assertThat(c.readOk(4 << 20, data.length)).isEqualTo(data);
        }
    }

    /**
     * The rest of a partly arrived payload is spliced into the same pipe as it arrives, so none of
     * it passes through the JVM. The rest is sent as one segment of 48 KiB (loopback carries up to
     * 64 KiB in one), so it is all in the socket when the server is woken for it.
     */
    @Test
    void theRestOfAPartlyArrivedPayloadIsSplicedIntoItsPipeAsItArrives() throws Exception {
        Random rnd = new Random(SEED + 3);
        int len = 64 * 1024;
        try (NbdTestServer s = start(true, VolumeConfig.of("default").withBypassBytes(len));
                NbdTestClient c = NbdTestClient.open(s.port(), Mode.SIMPLE)) {
            byte[] first = new byte[len];
            rnd.nextBytes(first);
            assertThat(c.await(c.sendWrite(0, first)).ok()).as("the connection now reads one header at a time").isTrue();
            byte[] data = new byte[len];
            rnd.nextBytes(data);
            long cookie = 78;
            long splicedBefore = s.server().splicedWrites();
            c.expect(cookie, NbdCommand.WRITE, 1 << 20, len);
            c.raw(c.writeRequest(cookie, 1 << 20, data, 0, 16 * 1024));
            awaitCondition(() -> s.server().partlySplicedWrites() == 1, "the server to splice the part that arrived");
            c.raw(Arrays.copyOfRange(data, 16 * 1024, len));
            assertThat(c.await(cookie).ok()).isTrue();
            assertThat(s.server().completedInPipeWrites()).as("the rest went into the pipe too").isEqualTo(1);
            assertThat(s.server().splicedWrites()).as("spliced whole").isEqualTo(splicedBefore + 1);
            assertThat(s.server().pipeCopiedWrites()).isZero();
            assertThat(c.readOk(1 << 20, len)).isEqualTo(data);
            assertThat(c.readOk(0, len)).isEqualTo(first);
        }
    }

    /**
     * NBD lets a client cut its byte stream anywhere: WRITEs worth splicing whose header and
     * payload are sent in random pieces (cut anywhere, the header included), several in flight,
     * all land whole and right, whatever part of each was in the socket when its header was
     * handled; smaller WRITEs between them too.
     */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void writesCutIntoRandomPiecesOnTheWireLandWholeAndRight(Mode mode) throws Exception {
        Random rnd = new Random(SEED ^ (31 + mode.ordinal()));
        try (NbdTestServer s = start(true, VolumeConfig.of("default").withBypassBytes(64 * 1024));
                NbdTestClient c = NbdTestClient.open(s.port(), mode)) {
            byte[] model = stream(c, rnd, new byte[SIZE], 80, 16, (off, data) -> {
                long cookie = c.nextCookie();
                c.expect(cookie, NbdCommand.WRITE, off, data.length);
                sendInPieces(c, c.writeRequest(cookie, off, data, 0, data.length), rnd);
                return cookie;
            });
            assertThat(s.server().completedInPipeWrites()).isLessThanOrEqualTo(s.server().partlySplicedWrites());
            assertVolumeIs(c, model);
        }
    }

    /** Sends {@code bytes} in one to five pieces cut at random places, each its own send. */
    private static void sendInPieces(NbdTestClient c, byte[] bytes, Random rnd) throws IOException {
        int[] cuts = rnd.ints(rnd.nextInt(5), 1, bytes.length).sorted().distinct().toArray();
        int from = 0;
        for (int cut : cuts) {
            c.raw(Arrays.copyOfRange(bytes, from, cut));
            from = cut;
        }
        c.raw(Arrays.copyOfRange(bytes, from, bytes.length));
    }

    private static long openDescriptors() {
        try (var fds = java.nio.file.Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * Connections that die in the middle of spliced payloads (after the header, with part of the
     * payload in a pipe) apply nothing of those WRITEs, leave the server serving, and give back
     * every pipe: the process holds no more descriptors than before.
     */
    @Test
    void connectionsDyingMidPayloadLeakNoPipesAndApplyNothing() throws Exception {
        Random rnd = new Random(SEED + 2);
        try (NbdTestServer s = start(true)) {
            byte[] data = new byte[1 << 20];
            rnd.nextBytes(data);
            try (NbdTestClient warm = NbdTestClient.open(s.port(), Mode.STRUCTURED)) {
                // Pools, JIT, and the store's descriptor for sendfile: all open before counting.
                assertThat(warm.await(warm.sendWrite(0, data)).ok()).isTrue();
                assertThat(warm.readOk(0, data.length)).isEqualTo(data);
            }
            awaitCondition(() -> s.server().connections() == 0, "the first connection to close");
            long before = openDescriptors();
            for (int i = 0; i < 20; i++) {
                try (NbdTestClient c = NbdTestClient.open(s.port(), Mode.SIMPLE)) {
                    for (int k = 0; k < 3; k++) { // a stream: headers are now read alone, payloads spliced
                        assertThat(c.await(c.sendWrite((long) k << 20, data)).ok()).isTrue();
                    }
                    long partly = s.server().partlySplicedWrites();
                    ByteBuffer head = ByteBuffer.allocate(28 + 100_000);
                    head.putInt(NbdMagic.REQUEST).putShort((short) 0).putShort((short) NbdCommand.WRITE.code())
                            .putLong(99).putLong(8L << 20).putInt(data.length).put(new byte[100_000]);
                    c.raw(head.array());
                    awaitCondition(() -> s.server().partlySplicedWrites() == partly + 1, "a partly spliced payload");
                }
            }
            awaitCondition(() -> s.server().connections() == 0, "every connection to close");
            // A channel counts as closed before its handler hears of it and gives back its budget.
            awaitCondition(() -> s.server().payloadBytesInFlight() == 0, "the dead WRITEs' budget to be given back");
            try (NbdTestClient c = NbdTestClient.open(s.port(), Mode.STRUCTURED)) {
                assertThat(c.readOk(8L << 20, 1 << 20)).as("no dead WRITE applied").containsOnly(0);
                assertThat(c.readOk(0, 1 << 20)).isEqualTo(data);
            }
            // Channels close before their handlers hear of it: wait for the count, within a bound.
            awaitCondition(() -> openDescriptors() <= before,
                    "descriptors back to " + before + " after 20 dead connections (a leaked pipe is two)");
        }
    }

    /** A zero-length WRITE has no payload to splice: it succeeds and changes nothing, also inside a stream. */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void emptyWritesSucceedInsideAStream(Mode mode) throws Exception {
        Random rnd = new Random(SEED + 3);
        try (NbdTestServer s = start(true); NbdTestClient c = NbdTestClient.open(s.port(), mode)) {
            byte[] data = new byte[1 << 20];
            rnd.nextBytes(data);
            assertThat(c.await(c.sendWrite(0, data)).ok()).isTrue();
            assertThat(c.await(c.sendWrite(1 << 20, data)).ok()).isTrue();
            Result empty = c.write(4096, new byte[0]);
            assertThat(empty.ok()).as("%s", empty).isTrue();
            assertThat(c.await(c.sendWrite(2 << 20, data)).ok()).isTrue();
            assertThat(c.readOk(0, 1 << 20)).isEqualTo(data);
            assertThat(c.readOk(2 << 20, 1 << 20)).isEqualTo(data);
        }
    }
}
