package io.blockhaus.nbd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.blockhaus.engine.VolumeConfig;
import io.blockhaus.nbd.NbdTestClient.Mode;
import io.blockhaus.nbd.NbdTestClient.Result;
import io.blockhaus.nbd.codec.NbdCommand;
import io.blockhaus.nbd.codec.NbdCommandFlags;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Over the wire, for a client on 127.0.0.1: streaming READs of a file export are read by the
 * worker into the reply's buffer and sent from it (ReadReplies' class comment). The client gets
 * the file's bytes in simple and structured replies, pipelined or not, with the data chunk of a
 * whole READ final and a hole still a hole; the payload budget is all given back once the
 * replies are written; and with the server's switch off the same READs go with sendfile again.
 */
class NbdLoopbackReadCopyTest {
    private static final long SEED = Long.getLong("nbd.seed", System.nanoTime());
    private static final int SIZE = 64 << 20;
    private static final int MIB = 1 << 20;

    static {
        System.out.println("NbdLoopbackReadCopyTest seed " + SEED + " (repeat with -Dnbd.seed=" + SEED + ")");
    }

    @TempDir
    Path dir;

    private NbdTestServer start(boolean copy) throws InterruptedException {
        return NbdTestServer.builder().server(NbdTestServer.config().withCopyLoopbackReads(copy))
                .file(VolumeConfig.of("default"), dir.resolve("v-" + copy + ".img"), SIZE).start();
    }

    @Test
    void streamingReadsAreCopiedOnTheWorkerAndCarryTheFilesBytes() throws Exception {
        Random rnd = new Random(SEED);
        byte[] image = new byte[16 * MIB];
        rnd.nextBytes(image);
        try (NbdTestServer s = start(true);
                NbdTestClient simple = NbdTestClient.open(s.port(), Mode.SIMPLE);
                NbdTestClient structured = NbdTestClient.open(s.port(), Mode.STRUCTURED)) {
            simple.writeOk(0, image);
            assertThat(simple.flush().ok()).isTrue();
            assertThat(s.server().readsCopiedFromFile()).isZero();

            assertThat(simple.readOk(MIB, MIB)).isEqualTo(Arrays.copyOfRange(image, MIB, 2 * MIB));
            Result whole = structured.read(2 * MIB, MIB);
            assertThat(whole.data()).isEqualTo(Arrays.copyOfRange(image, 2 * MIB, 3 * MIB));
            // Read before it is sent, its data chunk can end the reply: no NONE chunk after it.
            assertThat(whole.chunks()).extracting(NbdTestClient.Chunk::typeName, NbdTestClient.Chunk::done)
                    .containsExactly(tuple("OFFSET_DATA", true));
            assertThat(s.server().readsCopiedFromFile()).isEqualTo(2);

            // Pipelined, of sizes from the bypass size (256 KiB) up, at random offsets, on both clients.
            // Cookies are per client: each client's READs are checked against its own answers.
            List<long[]> asked = new ArrayList<>();
            List<List<Long>> cookies = List.of(new ArrayList<>(), new ArrayList<>());
            List<NbdTestClient> clients = List.of(simple, structured);
            for (int i = 0; i < 48; i++) {
                int len = (1 + rnd.nextInt(8)) * 256 * 1024;
                long off = (long) rnd.nextInt((image.length - len) / 4096) * 4096;
                long cookie = clients.get(i % 2).send(0, NbdCommand.READ, off, len, null);
                cookies.get(i % 2).add(cookie);
                asked.add(new long[] {i % 2, cookie, off, len});
            }
            List<Map<Long, Result>> results = List.of(simple.awaitAll(cookies.get(0)), structured.awaitAll(cookies.get(1)));
            for (long[] a : asked) {
                byte[] got = results.get((int) a[0]).get(a[1]).data();
                byte[] want = Arrays.copyOfRange(image, (int) a[2], (int) (a[2] + a[3]));
                assertThat(Arrays.equals(got, want)).as("READ of %d at %d (client %d): the file's bytes", a[3], a[2], a[0]).isTrue();
            }
            assertThat(s.server().readsSentFromFile()).as("no sendfile for a loopback client").isZero();
            // All but a few: a READ any page of which the kernel no longer holds (these VMs run
            // DAMON reclaim, and a loaded machine evicts) is read through the engine instead, on
            // the worker as well, and not counted here. Seen once in a loaded run: 49 of 50.
            assertThat(s.server().readsCopiedFromFile()).as("the pipelined READs were copies too")
                    .isBetween(2L + 48 - 4, 2L + 48);
            Await.until("the replies' budget given back", Duration.ofSeconds(10), () -> s.server().payloadBytesInFlight() == 0);
        }
    }

    /** 512 KiB of data then the sparse file's hole: a data chunk (not final), a hole chunk, NONE. */
    @Test
    void aReadOverDataAndAHoleStillAnswersTheHoleAsAHole() throws Exception {
        byte[] data = new byte[512 * 1024];
        new Random(SEED + 1).nextBytes(data);
        try (NbdTestServer s = start(true); NbdTestClient c = NbdTestClient.open(s.port(), Mode.STRUCTURED)) {
            c.writeOk(8L * MIB, data);
            assertThat(c.flush().ok()).isTrue();
            Result r = c.read(8L * MIB, 2 * MIB);
            assertThat(r.ok()).isTrue();
            assertThat(Arrays.copyOf(r.data(), data.length)).isEqualTo(data);
            assertThat(Arrays.copyOfRange(r.data(), data.length, 2 * MIB)).containsOnly(0);
            assertThat(r.chunks()).extracting(NbdTestClient.Chunk::typeName, NbdTestClient.Chunk::done)
                    .containsExactly(tuple("OFFSET_DATA", false), tuple("OFFSET_HOLE", false), tuple("NONE", true));
            assertThat(s.server().readsCopiedFromFile()).isEqualTo(1);
        }
    }

    @Test
    void withTheSwitchOffLoopbackClientsGetSendfileAgain() throws Exception {
        byte[] data = new byte[MIB];
        new Random(SEED + 2).nextBytes(data);
        try (NbdTestServer s = start(false); NbdTestClient c = NbdTestClient.open(s.port(), Mode.STRUCTURED)) {
            c.writeOk(0, data);
            assertThat(c.flush().ok()).isTrue();
            Result r = c.read(0, MIB, NbdCommandFlags.DF);
            assertThat(r.data()).isEqualTo(data);
            assertThat(r.chunks()).extracting(NbdTestClient.Chunk::typeName, NbdTestClient.Chunk::done)
                    .containsExactly(tuple("OFFSET_DATA", false), tuple("NONE", true));
            assertThat(s.server().readsSentFromFile()).isEqualTo(1);
            assertThat(s.server().readsCopiedFromFile()).isZero();
        }
    }
}
