package io.blockhaus.nbd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.blockhaus.engine.Handle;
import io.blockhaus.engine.IoMode;
import io.blockhaus.engine.VolumeConfig;
import java.nio.ByteBuffer;
import io.blockhaus.nbd.NbdTestClient.Mode;
import io.blockhaus.nbd.NbdTestClient.Result;
import io.blockhaus.nbd.codec.NbdCommand;
import io.blockhaus.nbd.codec.NbdCommandFlags;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Streaming READs answered from the volume's file with sendfile(2): they see every completed
 * write (in the file or, dirty, in the cache), and a client that reads no replies still stops
 * the server, though such replies hold no buffer.
 */
class NbdSendfileTest {
    private static final long SEED = Long.getLong("nbd.seed", System.nanoTime());
    private static final int SIZE = 64 << 20;

    static {
        System.out.println("NbdSendfileTest seed " + SEED + " (repeat with -Dnbd.seed=" + SEED + ")");
    }

    @TempDir
    Path dir;

    /** The test's client is on loopback, whose file ranges a worker would read instead (NbdLoopbackReadCopyTest): off. */
    private static NbdServerConfig sendfile() {
        return NbdTestServer.config().withCopyLoopbackReads(false);
    }

    private NbdTestServer start(NbdServerConfig config) throws InterruptedException {
        return NbdTestServer.builder().server(config)
                .file(VolumeConfig.of("default"), dir.resolve("v.img"), SIZE).start();
    }

    @Test
    void streamingReadsComeFromTheFileAndSeeEveryCompletedWrite() throws Exception {
        Random rnd = new Random(SEED);
        try (NbdTestServer s = start(sendfile());
                NbdTestClient w = NbdTestClient.open(s.port(), Mode.SIMPLE);
                NbdTestClient r = NbdTestClient.open(s.port(), Mode.STRUCTURED)) {
            byte[] data = new byte[1 << 20];
            rnd.nextBytes(data);
            w.writeOk(0, data);
            long before = s.server().readsSentFromFile();
            assertThat(r.readOk(0, data.length)).isEqualTo(data);
            assertThat(s.server().readsSentFromFile()).as("nothing cached there: sent from the file").isEqualTo(before + 1);

            byte[] patch = new byte[100];
            rnd.nextBytes(patch);
            w.writeOk(5000, patch); // a dirty cached page, not in the file yet
            System.arraycopy(patch, 0, data, 5000, patch.length);
            assertThat(r.readOk(0, data.length)).as("the dirty page is seen").isEqualTo(data);
            assertThat(s.server().readsSentFromFile()).as("a dirty page in range: copied instead").isEqualTo(before + 1);
            assertThat(w.flush().ok()).isTrue(); // the page is clean now: the file has its bytes
            assertThat(r.readOk(0, data.length)).as("the flushed page, from the file").isEqualTo(data);
            assertThat(s.server().readsSentFromFile()).as("a clean cached page in range: from the file").isEqualTo(before + 2);

            assertThat(r.read(0, 64 * 1024).ok()).isTrue(); // under the bypass size: copied
            assertThat(r.readOk(1 << 20, 1 << 20)).as("a hole of the sparse file").containsOnly(0);
            byte[] tail = Arrays.copyOfRange(data, 8192, data.length);
            Result df = r.read(8192, tail.length, NbdCommandFlags.DF);
            assertThat(df.data()).isEqualTo(tail);
            // Its bytes are read while it is sent, so the data chunk is never the final one.
            assertThat(df.chunks()).extracting(NbdTestClient.Chunk::typeName, NbdTestClient.Chunk::done)
                    .containsExactly(tuple("OFFSET_DATA", false), tuple("NONE", true));
        }
    }

    /** The kernel's client has only simple replies: its streaming reads come from the file too. */
    @Test
    void simpleRepliesAreSentFromTheFileToo() throws Exception {
        Random rnd = new Random(SEED + 1);
        try (NbdTestServer s = start(sendfile());
                NbdTestClient c = NbdTestClient.open(s.port(), Mode.SIMPLE)) {
            byte[] data = new byte[1 << 20];
            rnd.nextBytes(data);
            c.writeOk(1 << 20, data);
            long before = s.server().readsSentFromFile();
            assertThat(c.readOk(1 << 20, data.length)).isEqualTo(data);
            assertThat(s.server().readsSentFromFile()).as("a simple reply from the file").isEqualTo(before + 1);

            byte[] patch = new byte[4096];
            rnd.nextBytes(patch);
            c.writeOk((1 << 20) + 8192, patch); // dirty, not in the file yet
            System.arraycopy(patch, 0, data, 8192, patch.length);
            assertThat(c.readOk(1 << 20, data.length)).as("the dirty page is seen").isEqualTo(data);
            assertThat(s.server().readsSentFromFile()).as("a dirty page in range: copied").isEqualTo(before + 1);
            assertThat(c.flush().ok()).isTrue();
            assertThat(c.readOk(1 << 20, data.length)).as("flushed: from the file again").isEqualTo(data);
            assertThat(s.server().readsSentFromFile()).isEqualTo(before + 2);
            assertThat(c.readOk(0, 1 << 20)).as("the sparse file's hole: no page of it in memory, so copied")
                    .containsOnly(0);
            assertThat(s.server().readsSentFromFile()).isEqualTo(before + 2);
        }
    }

    /**
     * An io=direct export sends reads of at least 64 KiB from the file too, after writing back
     * the range's dirty pages under BLOCK (the direct read's rule), so a buffered write that
     * completed on the same volume (the gRPC front end's, here the engine's) is seen, and its
     * page stays cached.
     */
    @Test
    void directReadsAreSentFromTheFileAfterWritingBackDirtyPages() throws Exception {
        Random rnd = new Random(SEED + 2);
        VolumeConfig direct = VolumeConfig.of("default").withIo(IoMode.DIRECT);
        try (NbdTestServer s = NbdTestServer.builder().server(sendfile())
                        .backgroundThreads(false) // no writeback but the read's own
                        .file(direct, dir.resolve("d.img"), SIZE).start();
                NbdTestClient simple = NbdTestClient.open(s.port(), Mode.SIMPLE);
                NbdTestClient structured = NbdTestClient.open(s.port(), Mode.STRUCTURED);
                Handle engine = s.volume("default").open()) {
            byte[] data = new byte[1 << 20];
            rnd.nextBytes(data);
            simple.writeOk(0, data);
            long before = s.server().readsSentFromFile();
            assertThat(simple.readOk(0, data.length)).isEqualTo(data);
            assertThat(structured.readOk(0, 64 * 1024)).isEqualTo(Arrays.copyOf(data, 64 * 1024));
            assertThat(s.server().readsSentFromFile()).as("simple and structured, from the file").isEqualTo(before + 2);

            byte[] patch = new byte[3000];
            rnd.nextBytes(patch);
            engine.write(70_000, ByteBuffer.wrap(patch), false); // buffered: a dirty cached page
            System.arraycopy(patch, 0, data, 70_000, patch.length);
            assertThat(s.volume("default").dirtyPages()).as("dirty before the read").isPositive();
            Result df = structured.read(0, data.length, NbdCommandFlags.DF);
            assertThat(df.data()).as("the completed buffered write is seen").isEqualTo(data);
            assertThat(df.chunks()).extracting(NbdTestClient.Chunk::typeName, NbdTestClient.Chunk::done)
                    .containsExactly(tuple("OFFSET_DATA", false), tuple("NONE", true));
            assertThat(s.server().readsSentFromFile()).as("written back, then sent from the file").isEqualTo(before + 3);
            assertThat(s.volume("default").dirtyPages()).as("the read wrote the page back").isZero();
            assertThat(s.volume("default").cachedPages()).as("and left it cached").isPositive();

            assertThat(simple.readOk(0, 64 * 1024 - 4096)).as("under 64 KiB: copied")
                    .isEqualTo(Arrays.copyOf(data, 64 * 1024 - 4096));
            assertThat(s.server().readsSentFromFile()).isEqualTo(before + 3);
        }
    }

    /**
     * A file that got shorter behind the server's back (someone truncated it) cannot fill a reply
     * already promised from it: the connection is closed, for simple and structured replies
     * alike, and no client is sent fewer bytes than its reply announced. The reply must be
     * promised while the range is still in the kernel's page cache (else it is copied, and a
     * shortened file reads as zeroes): so the client first stops reading, READs pile up as file
     * regions behind the reply queue's mark, and only then is the file cut.
     */
    @Test
    void aReplyTheFileCanNoLongerFillClosesTheConnection() throws Exception {
        Logger log = Logger.getLogger(Disconnects.class.getName());
        List<LogRecord> warnings = new CopyOnWriteArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord r) {
                if (r.getLevel().intValue() >= Level.WARNING.intValue()) {
                    warnings.add(r);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        log.addHandler(capture);
        try {
            for (Mode mode : new Mode[] {Mode.SIMPLE, Mode.STRUCTURED}) {
                readPastTheShrunkFile(mode);
                Await.until(mode + ": the operator is told", Duration.ofSeconds(10), () -> warnings.stream()
                        .anyMatch(r -> r.getMessage().contains("could not be sent from the volume's file")));
                warnings.clear();
            }
        } finally {
            log.removeHandler(capture);
        }
    }

    private void readPastTheShrunkFile(Mode mode) throws Exception {
        Path img = dir.resolve("shrunk-" + mode + ".img");
        try (NbdTestServer s = NbdTestServer.builder().server(sendfile())
                        .file(VolumeConfig.of("default"), img, SIZE).start();
                NbdTestClient c = NbdTestClient.open(s.port(), mode)) {
            c.writeOk(0, new byte[1 << 20]);
            assertThat(c.flush().ok()).isTrue();
            // DF: one data chunk (without it the range would be split at the file's new end
            // and the rest answered as a hole, correctly).
            int flags = mode == Mode.SIMPLE ? 0 : NbdCommandFlags.DF;
            List<Long> cookies = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                cookies.add(c.send(flags, NbdCommand.READ, 0, 1 << 20, null));
            }
            Await.until(mode + ": replies queued behind the unread ones", Duration.ofSeconds(20),
                    () -> s.server().connectionsWaitingForClient() > 0);
            try (FileChannel f = FileChannel.open(img, StandardOpenOption.WRITE)) {
                f.truncate(4096);
            }
            assertThatThrownBy(() -> c.awaitAll(cookies)).as(mode + ": the connection is closed")
                    .isInstanceOf(IOException.class);
            assertThat(s.server().readsSentFromFile()).as(mode + ": they were to come from the file").isPositive();
            Await.until(mode + ": the close is counted by its reason", Duration.ofSeconds(10),
                    () -> s.server().disconnects().count(DisconnectReason.SEND_FROM_FILE_FAILED) == 1);
        }
    }

    /** As NbdTransmissionHandlerFlowTest's case, on a file: replies sent from it count towards the reply queue's bound. */
    @Test
    void aClientThatReadsNoRepliesStopsTheServerEvenWhenRepliesComeFromTheFile() throws Exception {
        int reads = 400;
        int length = 256 * 1024; // 100 MiB of replies in all
        NbdServerConfig d = sendfile();
        NbdServerConfig config = new NbdServerConfig(d.listen(), 16, Duration.ofSeconds(30), d.payloadStallTimeout(), 1 << 20, 128,
                4L << 20, d.maxServerInflightBytes(), d.workerThreads(), d.spliceWrites(), d.eventLoops(), false);
        try (NbdTestServer s = start(config); NbdTestClient c = NbdTestClient.open(s.port(), Mode.STRUCTURED)) {
            List<Long> cookies = new ArrayList<>();
            for (int i = 0; i < reads; i++) {
                cookies.add(c.send(NbdCommandFlags.DF, NbdCommand.READ, (long) (i % 256) * length, length, null));
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (s.server().connectionsWaitingForClient() == 0) {
                assertThat(System.nanoTime()).as("waiting for the server to stop on the unread replies").isLessThan(deadline);
                Thread.yield();
            }
            assertThat(s.server().readsSentFromFile()).as("these replies are file regions").isPositive();
            assertThat(s.server().readsSentFromFile()).as("started while the client read nothing").isLessThanOrEqualTo(120);
            Map<Long, Result> results = c.awaitAll(cookies);
            assertThat(results).hasSize(reads).allSatisfy((k, res) -> assertThat(res.ok()).isTrue());
            assertThat(s.server().connectionsWaitingForClient()).isZero();
        }
    }
}
