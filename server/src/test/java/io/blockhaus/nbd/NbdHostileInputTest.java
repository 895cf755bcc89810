package io.blockhaus.nbd;

import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.engine.VolumeConfig;
import io.blockhaus.nbd.NbdTestClient.Mode;
import io.blockhaus.nbd.NbdTestClient.OptionReply;
import io.blockhaus.nbd.NbdTestClient.Result;
import io.blockhaus.nbd.codec.NbdClientFlags;
import io.blockhaus.nbd.codec.NbdCommand;
import io.blockhaus.nbd.codec.NbdCommandFlags;
import io.blockhaus.nbd.codec.NbdMagic;
import io.blockhaus.nbd.codec.NbdOption;
import io.netty.util.internal.PlatformDependent;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The "Bad input" list. Whatever a client sends, the server must not crash, must not
 * allocate what a client's number claims, must keep serving everyone else, and must lose no
 * acknowledged write: {@link #guardSurvives()} re-reads, after every test, data a well-behaved
 * client wrote and had acknowledged before any of them ran.
 */
class NbdHostileInputTest {
    private static final long SIZE = 64L << 20;
    private static final long GUARD = SIZE - (1 << 20); // last MiB: the acknowledged writes we must keep
    private static final long SEED = System.nanoTime();
    private static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(2);
    private static final Duration CLOSE_WITHIN = Duration.ofSeconds(10);
    private static final int EPERM = 1;
    private static final int EINVAL = 22;
    private static final int ENOSPC = 28;
    private static final AtomicLong nextRegion = new AtomicLong();

    private static NbdTestServer server;
    private static byte[] guard;

    @BeforeAll
    static void start() throws Exception {
        System.out.println("NbdHostileInputTest seed " + SEED);
        server = NbdTestServer.memory(NbdTestServer.config(400, HANDSHAKE_TIMEOUT, 128), SIZE,
                VolumeConfig.of("default"));
        guard = new byte[1 << 20];
        new Random(SEED).nextBytes(guard);
        try (NbdTestClient c = good(Mode.SIMPLE)) {
            for (int i = 0; i < 16; i++) {
                c.writeOk(GUARD + i * 65536L, java.util.Arrays.copyOfRange(guard, i * 65536, (i + 1) * 65536));
            }
        }
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @AfterEach
    void guardSurvives() throws IOException {
        try (NbdTestClient c = good(Mode.STRUCTURED)) {
            assertThat(c.readOk(GUARD, guard.length)).as("acknowledged writes").isEqualTo(guard);
        }
        // Whatever the test did to its connections, none of them keeps a share of the budget.
        await("every request's payload budget is given back", CLOSE_WITHIN,
                () -> server.server.payloadBytesInFlight() == 0);
    }

    private static NbdTestClient good(Mode mode) throws IOException {
        return NbdTestClient.open(server.port(), mode);
    }

    private static long region() {
        return nextRegion.getAndIncrement() * (1 << 20);
    }

    private static NbdTestClient handshaking() throws IOException {
        NbdTestClient c = NbdTestClient.connect(server.port());
        c.clientFlags(NbdClientFlags.FIXED_NEWSTYLE | NbdClientFlags.NO_ZEROES);
        return c;
    }

    private static void await(String what, Duration within, BooleanSupplier condition) {
        Await.until(what, within, condition);
    }

    /** A write and a read on a fresh connection, as any other client would do meanwhile. */
    private static void othersStillServed() throws IOException {
        long off = region();
        byte[] data = new byte[4096];
        new Random(SEED + off).nextBytes(data);
        try (NbdTestClient c = good(Mode.SIMPLE)) {
            c.writeOk(off, data);
            assertThat(c.readOk(off, 4096)).isEqualTo(data);
        }
    }

    private static long memoryInUse() {
        Runtime rt = Runtime.getRuntime();
        long direct = Math.max(0, PlatformDependent.usedDirectMemory());
        return rt.totalMemory() - rt.freeMemory() + direct;
    }

    // ---------------------------------------------------------------- handshake

    @Test
    void wrongOptionMagicDisconnects() throws IOException {
        try (NbdTestClient c = handshaking()) {
            c.raw(ByteBuffer.allocate(16).putLong(0x1122334455667788L).putInt(NbdOption.LIST.code()).putInt(0).array());
            assertThat(c.awaitClosed(CLOSE_WITHIN)).isTrue();
        }
        othersStillServed();
    }

    @Test
    void optionClaimingFourGibIsRefusedWithoutReadingIt() throws IOException {
        long before = memoryInUse();
        try (NbdTestClient c = handshaking()) {
            c.sendOptionHeader(NbdOption.INFO.code(), 0xFFFF_FFFFL);
            c.raw(new byte[64 * 1024]); // a little of it; the server must not wait for, or buffer, the rest
            OptionReply r = c.readOptionReply();
            assertThat(r.option()).isEqualTo(NbdOption.INFO.code());
            assertThat(r.typeName()).isEqualTo("ERR_TOO_BIG");
        }
        assertThat(memoryInUse() - before).isLessThan(512L << 20);
        othersStillServed();
    }

    @Test
    void exportNameClaimingFourGibOrOverlongDisconnects() throws IOException {
        try (NbdTestClient c = handshaking()) {
            c.sendOptionHeader(NbdOption.EXPORT_NAME.code(), 0xFFFF_FFFFL);
            c.raw(new byte[4096]);
            // EXPORT_NAME has no error reply: the server may only drop us (now, or at its timeout).
            assertThat(c.awaitClosed(CLOSE_WITHIN)).isTrue();
        }
        try (NbdTestClient c = handshaking()) {
            c.sendOption(NbdOption.EXPORT_NAME.code(), "n".repeat(5000).getBytes(StandardCharsets.UTF_8));
            assertThat(c.awaitClosed(CLOSE_WITHIN)).isTrue();
        }
        othersStillServed();
    }

    @Test
    void overlongExportNameInInfoIsAnErrorAndTheSessionGoesOn() throws IOException {
        try (NbdTestClient c = handshaking()) {
            List<OptionReply> r = c.option(NbdOption.INFO.code(), NbdTestClient.infoData("n".repeat(4097)));
            assertThat(r).singleElement().satisfies(o -> assertThat(o.isError()).isTrue());
            List<OptionReply> ok = c.option(NbdOption.GO.code(), NbdTestClient.infoData("default"));
            assertThat(ok.getLast().typeName()).isEqualTo("ACK");
            assertThat(c.read(0, 512).ok()).isTrue();
        }
    }

    @Test
    void halfOpenConnectionsDoNotStarveOthersAndTimeOut() throws IOException {
        // Earlier tests' connections close asynchronously on the server: let them go first, or a
        // baseline that still counts them can never be exceeded by 200 (a flake seen in CI).
        await("earlier connections closed", Duration.ofSeconds(10), () -> server.server.connections() == 0);
        int baseline = 0;
        List<NbdTestClient> idle = new ArrayList<>();
        try {
            for (int i = 0; i < 200; i++) {
                NbdTestClient c = NbdTestClient.connectRaw(server.port());
                idle.add(c);
                if (i % 2 == 1) {
                    // Half a handshake: client flags, then half an option header.
                    c.raw(ByteBuffer.allocate(12).putInt(NbdClientFlags.FIXED_NEWSTYLE)
                            .putLong(NbdMagic.IHAVEOPT).array());
                }
            }
            await("200 half-open connections accepted", Duration.ofSeconds(10),
                    () -> server.server.connections() >= baseline + 200);

            // A well-behaved client meanwhile: 50 writes and reads, each answered promptly.
            try (NbdTestClient c = good(Mode.STRUCTURED)) {
                c.timeout(Duration.ofSeconds(2));
                long off = region();
                Random rnd = new Random(SEED + 1);
                for (int i = 0; i < 50; i++) {
                    byte[] d = new byte[8192];
                    rnd.nextBytes(d);
                    c.writeOk(off + i * 8192L, d);
                    assertThat(c.readOk(off + i * 8192L, 8192)).isEqualTo(d);
                }
                // The handshake timeout closes the idle ones; the one in transmission stays.
                await("idle connections closed by the handshake timeout", HANDSHAKE_TIMEOUT.plusSeconds(15),
                        () -> server.server.connections() <= baseline + 1);
                assertThat(c.readOk(off, 8192)).hasSize(8192);
            }
            for (NbdTestClient c : idle.subList(0, 10)) {
                assertThat(c.awaitClosed(CLOSE_WITHIN)).isTrue();
            }
        } finally {
            idle.forEach(NbdTestClient::close);
        }
    }

    @Test
    void connectionLimitRefusesExtrasAndRecovers() throws Exception {
        try (NbdTestServer small = NbdTestServer.memory(NbdTestServer.config(3, HANDSHAKE_TIMEOUT, 16), 1 << 20,
                VolumeConfig.of("default"))) {
            List<NbdTestClient> three = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {
                    three.add(NbdTestClient.open(small.port(), Mode.SIMPLE));
                }
                try (NbdTestClient extra = NbdTestClient.connectRaw(small.port())) {
                    assertThat(extra.awaitClosed(CLOSE_WITHIN)).as("fourth connection is refused").isTrue();
                }
                for (NbdTestClient c : three) {
                    assertThat(c.read(0, 512).ok()).isTrue();
                }
                three.removeFirst().close();
                await("a slot frees", Duration.ofSeconds(10), () -> small.server.connections() <= 2);
                try (NbdTestClient again = NbdTestClient.open(small.port(), Mode.SIMPLE)) {
                    assertThat(again.read(0, 512).ok()).isTrue();
                }
            } finally {
                three.forEach(NbdTestClient::close);
            }
        }
    }

    // ---------------------------------------------------------------- transmission

    @Test
    void wrongRequestMagicDisconnects() throws IOException {
        try (NbdTestClient c = good(Mode.SIMPLE)) {
            c.writeHeader(0x12560953, 7, 0, NbdCommand.READ.code(), 0, 512);
            c.flushOut();
            assertThat(c.awaitClosed(CLOSE_WITHIN)).isTrue();
        }
        othersStillServed();
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void unknownCommandsAndFlagsAreInvalidAndTheConnectionGoesOn(Mode mode) throws IOException {
        long off = region();
        try (NbdTestClient c = good(mode)) {
            assertThat(c.request(0, NbdCommand.valueOf(0x1234), off, 4096, null).error()).isEqualTo(EINVAL);
            assertThat(c.request(0, NbdCommand.RESIZE, 0, 0, null).error()).isEqualTo(EINVAL);
            assertThat(c.read(off, 4096, 1 << 9).error()).isEqualTo(EINVAL);
            assertThat(c.request(1 << 14, NbdCommand.FLUSH, 0, 0, null).error()).isEqualTo(EINVAL);
            // A refused WRITE's payload is skipped, not applied, and the stream stays in step.
            Result w = c.write(off, new byte[] {9, 9, 9, 9}, 1 << 12);
            assertThat(w.error()).isEqualTo(EINVAL);
            assertThat(c.readOk(off, 4)).containsOnly(0);
            assertThat(c.writeZeroes(off, 4096, NbdCommandFlags.DF).error()).isEqualTo(EINVAL);
        }
    }

    @ParameterizedTest
    @EnumSource(value = Mode.class, names = {"STRUCTURED", "EXTENDED"})
    void fuaIsAcceptedOnEveryCommand(Mode mode) throws IOException {
        // Spec: with NBD_FLAG_SEND_FUA advertised "the server MUST accept all commands with this
        // bit set (even by ignoring the bit)"; existing clients set it on reads.
        long off = region();
        try (NbdTestClient c = good(mode)) {
            assertThat(c.read(off, 4096, NbdCommandFlags.FUA).ok()).isTrue();
            assertThat(c.blockStatus(off, 4096, NbdCommandFlags.FUA).ok()).isTrue();
            assertThat(c.cache(off, 4096).ok()).isTrue();
            assertThat(c.request(NbdCommandFlags.FUA, NbdCommand.FLUSH, 0, 0, null).ok()).isTrue();
            assertThat(c.request(NbdCommandFlags.FUA, NbdCommand.CACHE, off, 4096, null).ok()).isTrue();
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void outOfRangeRequestsAreRefusedAndChangeNothing(Mode mode) throws IOException {
        try (NbdTestClient c = good(mode)) {
            assertThat(c.read(SIZE, 1).error()).isEqualTo(EINVAL);
            assertThat(c.read(SIZE - 100, 4096).error()).isEqualTo(EINVAL);
            assertThat(c.read(SIZE + 1, 0).error()).isEqualTo(EINVAL);
            assertThat(c.trim(SIZE - 4096, 8192).error()).isEqualTo(EINVAL);
            assertThat(c.cache(SIZE, 4096).error()).isEqualTo(EINVAL);
            assertThat(c.write(SIZE - 2, new byte[] {1, 2, 3, 4}).error()).isEqualTo(ENOSPC);
            assertThat(c.writeZeroes(SIZE - 4096, 8192, 0).error()).isEqualTo(ENOSPC);
            if (mode != Mode.SIMPLE) {
                assertThat(c.blockStatus(SIZE, 4096, 0).error()).isEqualTo(EINVAL);
            }
            // Offsets near 2^63 and 2^64, where offset + length overflows.
            for (long off : new long[] {Long.MAX_VALUE - 100, Long.MAX_VALUE, Long.MIN_VALUE, -4096L, -1L}) {
                assertThat(c.read(off, 4096).error()).as("read at %s", Long.toUnsignedString(off)).isEqualTo(EINVAL);
                assertThat(c.trim(off, 4096).error()).isEqualTo(EINVAL);
                assertThat(c.write(off, new byte[200]).error()).isIn(EINVAL, ENOSPC);
                assertThat(c.writeZeroes(off, 4096, 0).error()).isIn(EINVAL, ENOSPC);
            }
            if (mode == Mode.EXTENDED) {
                // 64-bit lengths: 2^64 - 1 and 2^63 from offset 4096.
                assertThat(c.trim(4096, -1L).error()).isEqualTo(EINVAL);
                assertThat(c.writeZeroes(4096, Long.MIN_VALUE, 0).error()).isIn(EINVAL, ENOSPC);
                assertThat(c.cache(4096, Long.MAX_VALUE).error()).isEqualTo(EINVAL);
                assertThat(c.blockStatus(4096, Long.MAX_VALUE, 0).ok()).isTrue(); // answered for less
            }
            // Still in step, and the end of the volume (the guard region) is untouched.
            assertThat(c.readOk(SIZE - 4096, 4096)).isEqualTo(java.util.Arrays.copyOfRange(guard,
                    guard.length - 4096, guard.length));
        }
    }

    @Test
    void fourGibWriteIsRefusedWithoutBufferingIt() throws IOException {
        long before = memoryInUse();
        try (NbdTestClient c = good(Mode.SIMPLE)) {
            long cookie = c.nextCookie();
            c.writeHeader(NbdMagic.REQUEST, cookie, 0, NbdCommand.WRITE.code(), 0, 0xFFFF_FFFFL);
            c.flushOut();
            // Send 16 MiB of the claimed 4 GiB; the server must refuse (a hard disconnect is what
            // the spec allows for a length beyond the advertised maximum) and not collect it.
            byte[] chunk = new byte[1 << 20];
            try {
                for (int i = 0; i < 16; i++) {
                    c.raw(chunk);
                }
            } catch (IOException e) {
                // the server already closed: fine
            }
            assertThat(c.awaitClosed(CLOSE_WITHIN)).isTrue();
        }
        assertThat(memoryInUse() - before).as("memory growth").isLessThan(512L << 20);
        othersStillServed();
    }

    @Test
    void extendedWriteClaimingATerabyteDisconnects() throws IOException {
        try (NbdTestClient c = good(Mode.EXTENDED)) {
            c.writeHeader(NbdMagic.EXTENDED_REQUEST, 5, NbdCommandFlags.PAYLOAD_LEN, NbdCommand.WRITE.code(), 0,
                    1L << 40);
            try {
                c.raw(new byte[1 << 20]);
            } catch (IOException e) {
                // the server already closed: fine
            }
            assertThat(c.awaitClosed(CLOSE_WITHIN)).isTrue();
        }
        othersStillServed();
    }

    @Test
    void writeOverTheMaximumPayloadIsSkippedAndTheConnectionGoesOn() throws IOException {
        long off = region();
        try (NbdTestClient c = good(Mode.SIMPLE)) {
            int len = (32 << 20) + 4096; // over the advertised 32 MiB, under the hard cap
            long cookie = c.nextCookie();
            c.expect(cookie, NbdCommand.WRITE, off, len);
            c.writeHeader(NbdMagic.REQUEST, cookie, 0, NbdCommand.WRITE.code(), off, len);
            byte[] ones = new byte[1 << 20];
            java.util.Arrays.fill(ones, (byte) 1);
            for (int sent = 0; sent < len; sent += ones.length) {
                c.raw(java.util.Arrays.copyOf(ones, Math.min(ones.length, len - sent)));
            }
            Result r = c.await(cookie);
            assertThat(r.error()).isEqualTo(EINVAL);
            assertThat(c.readOk(off, 4096)).containsOnly(0);
        }
    }

    @Test
    void truncatedWriteThenCloseAppliesNothing() throws Exception {
        long off = region();
        byte[] before = new byte[1 << 20];
        new Random(SEED + 2).nextBytes(before);
        try (NbdTestClient c = good(Mode.SIMPLE)) {
            c.writeOk(off, before);
        }
        int baseline = server.server.connections();
        try (NbdTestClient c = good(Mode.SIMPLE)) {
            c.writeHeader(NbdMagic.REQUEST, 99, 0, NbdCommand.WRITE.code(), off, 1 << 20);
            c.raw(new byte[512 * 1024]); // half the payload, then the connection drops
        }
        await("the truncated connection is gone", Duration.ofSeconds(10),
                () -> server.server.connections() <= baseline);
        try (NbdTestClient c = good(Mode.STRUCTURED)) {
            assertThat(c.readOk(off, before.length)).isEqualTo(before);
        }
    }

    @Test
    void aWritePayloadThatStallsClosesItsConnectionAndGivesBackItsBudget() throws Exception {
        NbdServerConfig config = NbdTestServer.config().withPayloadStallTimeout(Duration.ofMillis(300));
        try (NbdTestServer s = NbdTestServer.memory(config, 4 << 20, VolumeConfig.of("default"));
                NbdTestClient c = NbdTestClient.open(s.port(), Mode.STRUCTURED)) {
            c.writeHeader(NbdMagic.REQUEST, 7, 0, NbdCommand.WRITE.code(), 0, 1 << 20);
            c.raw(new byte[1000]); // then nothing: the header holds 1 MiB of the server's budget
            await("the request counts against the budget", CLOSE_WITHIN, () -> s.server().payloadBytesInFlight() == 1 << 20);
            assertThat(c.socket().getInputStream().read()).as("the server closes the stalled connection").isEqualTo(-1);
            await("the budget is given back", CLOSE_WITHIN, () -> s.server().payloadBytesInFlight() == 0);
            await("the close is counted by its reason", CLOSE_WITHIN,
                    () -> s.server().disconnects().count(DisconnectReason.PAYLOAD_STALL) == 1);
            try (NbdTestClient other = NbdTestClient.open(s.port(), Mode.STRUCTURED)) {
                assertThat(other.readOk(0, 4096)).as("nothing of the stalled WRITE was applied").isEqualTo(new byte[4096]);
            }
        }
    }

    @Test
    void readOnlyExportRefusesEveryWriteKind() throws Exception {
        try (NbdTestServer ro = NbdTestServer.memory(NbdTestServer.config(), 1 << 20,
                VolumeConfig.of("default").withReadOnly(true));
                NbdTestClient c = NbdTestClient.open(ro.port(), Mode.STRUCTURED)) {
            assertThat(c.write(0, new byte[10]).error()).isEqualTo(EPERM);
            assertThat(c.trim(0, 4096).error()).isEqualTo(EPERM);
            assertThat(c.writeZeroes(0, 4096, 0).error()).isEqualTo(EPERM);
            assertThat(c.read(0, 4096).ok()).isTrue();
            assertThat(c.flush().ok()).isTrue();
        }
    }
}
