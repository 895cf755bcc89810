package io.blockhaus.nbd;

import static io.blockhaus.nbd.codec.NbdTransmissionFlags.CAN_MULTI_CONN;
import static io.blockhaus.nbd.codec.NbdTransmissionFlags.HAS_FLAGS;
import static io.blockhaus.nbd.codec.NbdTransmissionFlags.READ_ONLY;
import static io.blockhaus.nbd.codec.NbdTransmissionFlags.SEND_CACHE;
import static io.blockhaus.nbd.codec.NbdTransmissionFlags.SEND_DF;
import static io.blockhaus.nbd.codec.NbdTransmissionFlags.SEND_FAST_ZERO;
import static io.blockhaus.nbd.codec.NbdTransmissionFlags.SEND_FLUSH;
import static io.blockhaus.nbd.codec.NbdTransmissionFlags.SEND_FUA;
import static io.blockhaus.nbd.codec.NbdTransmissionFlags.SEND_TRIM;
import static io.blockhaus.nbd.codec.NbdTransmissionFlags.SEND_WRITE_ZEROES;
import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.engine.VolumeConfig;
import io.blockhaus.nbd.NbdTestClient.OptionReply;
import io.blockhaus.nbd.codec.NbdClientFlags;
import io.blockhaus.nbd.codec.NbdCommand;
import io.blockhaus.nbd.codec.NbdHandshakeFlags;
import io.blockhaus.nbd.codec.NbdInfoType;
import io.blockhaus.nbd.codec.NbdOption;
import io.blockhaus.nbd.codec.NbdOptionReplyType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every option of the fixed-newstyle handshake, answered as doc/proto.md requires. */
class NbdHandshakeTest {
    private static final int ALL_COMMANDS = HAS_FLAGS | SEND_FLUSH | SEND_FUA | SEND_TRIM | SEND_WRITE_ZEROES
            | SEND_FAST_ZERO | SEND_CACHE | CAN_MULTI_CONN;
    private static final Duration CLOSE_WITHIN = Duration.ofSeconds(10);
    private static final int FLAGS = NbdClientFlags.FIXED_NEWSTYLE | NbdClientFlags.NO_ZEROES;

    private static NbdTestServer server;

    @BeforeAll
    static void start() throws InterruptedException {
        server = NbdTestServer.memory(NbdTestServer.config(), 16L << 20,
                VolumeConfig.of("default"), VolumeConfig.of("disk2"), VolumeConfig.of("ro").withReadOnly(true));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static NbdTestClient client() throws IOException {
        NbdTestClient c = NbdTestClient.connect(server.port());
        c.clientFlags(FLAGS);
        return c;
    }

    private static int code(NbdOption o) {
        return o.code();
    }

    /** The INFO replies of an INFO/GO answer, by information type. */
    private static Map<Integer, ByteBuffer> infos(List<OptionReply> replies) {
        Map<Integer, ByteBuffer> m = new HashMap<>();
        for (OptionReply r : replies) {
            if (r.type() == NbdOptionReplyType.INFO.code()) {
                ByteBuffer b = r.buffer();
                m.put(Short.toUnsignedInt(b.getShort()), b.slice());
            }
        }
        return m;
    }

    private static void assertFinal(List<OptionReply> replies, NbdOptionReplyType type, NbdOption option) {
        assertThat(replies).isNotEmpty();
        assertThat(replies.getLast().typeName()).as("%s", replies).isEqualTo(type.name());
        assertThat(replies).allSatisfy(r -> assertThat(r.option()).isEqualTo(option.code()));
    }

    /** Proves the session is still in option haggling and working: INFO on the default export succeeds. */
    private static void assertSessionContinues(NbdTestClient c) throws IOException {
        assertFinal(c.option(code(NbdOption.INFO), NbdTestClient.infoData("default")), NbdOptionReplyType.ACK,
                NbdOption.INFO);
    }

    @Test
    void greetingOffersFixedNewstyleAndNoZeroes() throws IOException {
        try (NbdTestClient c = NbdTestClient.connect(server.port())) {
            assertThat(c.handshakeFlags())
                    .isEqualTo(NbdHandshakeFlags.FIXED_NEWSTYLE | NbdHandshakeFlags.NO_ZEROES);
        }
    }

    @Test
    void unknownClientFlagsEndTheSession() throws IOException {
        try (NbdTestClient c = NbdTestClient.connect(server.port())) {
            c.clientFlags(FLAGS | 1 << 7);
            assertThat(c.awaitClosed(CLOSE_WITHIN)).isTrue();
        }
    }

    @Test
    void listNamesEveryExportThenAcks() throws IOException {
        try (NbdTestClient c = client()) {
            List<OptionReply> replies = c.option(code(NbdOption.LIST), new byte[0]);
            assertFinal(replies, NbdOptionReplyType.ACK, NbdOption.LIST);
            List<String> names = replies.stream().filter(r -> r.type() == NbdOptionReplyType.SERVER.code())
                    .map(r -> {
                        ByteBuffer b = r.buffer();
                        byte[] n = new byte[b.getInt()];
                        b.get(n);
                        return new String(n, StandardCharsets.UTF_8);
                    }).toList();
            assertThat(names).containsExactly("default", "disk2", "ro");
            assertThat(replies).hasSize(4);
            assertSessionContinues(c);
        }
    }

    @Test
    void listWithDataIsInvalidAndTheSessionGoesOn() throws IOException {
        try (NbdTestClient c = client()) {
            assertFinal(c.option(code(NbdOption.LIST), new byte[] {1, 2, 3}), NbdOptionReplyType.ERR_INVALID,
                    NbdOption.LIST);
            assertSessionContinues(c);
        }
    }

    @Test
    void infoAndGoForAnUnknownExportAreErrUnknownAndTheSessionGoesOn() throws IOException {
        try (NbdTestClient c = client()) {
            List<OptionReply> info = c.option(code(NbdOption.INFO), NbdTestClient.infoData("nope"));
            assertFinal(info, NbdOptionReplyType.ERR_UNKNOWN, NbdOption.INFO);
            assertThat(info).hasSize(1);
            List<OptionReply> go = c.option(code(NbdOption.GO), NbdTestClient.infoData("nope"));
            assertFinal(go, NbdOptionReplyType.ERR_UNKNOWN, NbdOption.GO);
            // Still haggling: a GO on a real export now enters transmission.
            assertFinal(c.option(code(NbdOption.GO), NbdTestClient.infoData("disk2")), NbdOptionReplyType.ACK,
                    NbdOption.GO);
            assertThat(c.exportSize()).isEqualTo(16L << 20);
            assertThat(c.read(0, 512).ok()).isTrue();
        }
    }

    @Test
    void starttlsIsRefusedByPolicyAndTheSessionGoesOn() throws IOException {
        try (NbdTestClient c = client()) {
            List<OptionReply> r = c.option(code(NbdOption.STARTTLS), new byte[0]);
            assertFinal(r, NbdOptionReplyType.ERR_POLICY, NbdOption.STARTTLS);
            assertSessionContinues(c);
        }
    }

    @Test
    void unknownOptionIsErrUnsupAndTheSessionGoesOn() throws IOException {
        try (NbdTestClient c = client()) {
            List<OptionReply> r = c.option(0x4242, "some data the server must skip".getBytes(StandardCharsets.UTF_8));
            assertThat(r).hasSize(1);
            assertThat(r.getFirst().option()).isEqualTo(0x4242);
            assertThat(r.getFirst().typeName()).isEqualTo("ERR_UNSUP");
            assertSessionContinues(c);
        }
    }

    @Test
    void structuredReplyAndExtendedHeadersAreAcknowledged() throws IOException {
        try (NbdTestClient c = client()) {
            assertFinal(c.option(code(NbdOption.STRUCTURED_REPLY), new byte[0]), NbdOptionReplyType.ACK,
                    NbdOption.STRUCTURED_REPLY);
            assertFinal(c.option(code(NbdOption.EXTENDED_HEADERS), new byte[0]), NbdOptionReplyType.ACK,
                    NbdOption.EXTENDED_HEADERS);
            assertThat(c.structured()).isTrue();
            assertThat(c.extended()).isTrue();
            assertSessionContinues(c);
        }
    }

    @Test
    void structuredReplyWithDataIsInvalid() throws IOException {
        try (NbdTestClient c = client()) {
            assertFinal(c.option(code(NbdOption.STRUCTURED_REPLY), new byte[] {0}), NbdOptionReplyType.ERR_INVALID,
                    NbdOption.STRUCTURED_REPLY);
            assertSessionContinues(c);
        }
    }

    @Test
    void metaContextsBeforeStructuredRepliesAreInvalid() throws IOException {
        try (NbdTestClient c = client()) {
            for (NbdOption o : List.of(NbdOption.SET_META_CONTEXT, NbdOption.LIST_META_CONTEXT)) {
                List<OptionReply> r = c.option(code(o), NbdTestClient.metaContextData("default", "base:allocation"));
                assertFinal(r, NbdOptionReplyType.ERR_INVALID, o);
                assertThat(r).hasSize(1);
            }
            assertSessionContinues(c);
        }
    }

    @Test
    void listAndSetMetaContextOfferBaseAllocationOnly() throws IOException {
        try (NbdTestClient c = client()) {
            c.option(code(NbdOption.STRUCTURED_REPLY), new byte[0]);
            for (NbdOption o : List.of(NbdOption.LIST_META_CONTEXT, NbdOption.SET_META_CONTEXT)) {
                List<OptionReply> r = c.option(code(o), NbdTestClient.metaContextData("default", "base:allocation"));
                assertFinal(r, NbdOptionReplyType.ACK, o);
                assertThat(r).hasSize(2);
                ByteBuffer b = r.getFirst().buffer();
                assertThat(r.getFirst().typeName()).isEqualTo("META_CONTEXT");
                assertThat(b.getInt()).isNotZero();
                assertThat(StandardCharsets.UTF_8.decode(b).toString()).isEqualTo("base:allocation");

                // Unknown contexts are simply not listed, never an error.
                List<OptionReply> unknown = c.option(code(o),
                        NbdTestClient.metaContextData("default", "qemu:dirty-bitmap:x", "nosuch:thing"));
                assertFinal(unknown, NbdOptionReplyType.ACK, o);
                assertThat(unknown).hasSize(1);
            }
            // LIST with no query lists everything the server has.
            List<OptionReply> all = c.option(code(NbdOption.LIST_META_CONTEXT), NbdTestClient.metaContextData("default"));
            assertThat(all).extracting(OptionReply::typeName).containsExactly("META_CONTEXT", "ACK");
            // Meta contexts of an unknown export.
            assertFinal(c.option(code(NbdOption.LIST_META_CONTEXT),
                    NbdTestClient.metaContextData("nope", "base:allocation")), NbdOptionReplyType.ERR_UNKNOWN,
                    NbdOption.LIST_META_CONTEXT);
            assertSessionContinues(c);
        }
    }

    @Test
    void blockStatusWithoutASelectedContextIsInvalid() throws IOException {
        try (NbdTestClient c = client()) {
            c.option(code(NbdOption.STRUCTURED_REPLY), new byte[0]);
            // SET with only unknown contexts selects nothing.
            assertThat(c.option(code(NbdOption.SET_META_CONTEXT), NbdTestClient.metaContextData("default", "x:y")))
                    .hasSize(1);
            assertFinal(c.option(code(NbdOption.GO), NbdTestClient.infoData("default")), NbdOptionReplyType.ACK,
                    NbdOption.GO);
            NbdTestClient.Result r = c.blockStatus(0, 4096, 0);
            assertThat(r.error()).isEqualTo(22);
            assertThat(c.read(0, 4096).ok()).isTrue();
        }
    }

    @Test
    void abortIsAcknowledgedThenTheServerCloses() throws IOException {
        try (NbdTestClient c = client()) {
            List<OptionReply> r = c.option(code(NbdOption.ABORT), new byte[0]);
            assertFinal(r, NbdOptionReplyType.ACK, NbdOption.ABORT);
            assertThat(c.awaitClosed(CLOSE_WITHIN)).isTrue();
        }
    }

    @Test
    void exportNameWithNoZeroesSendsSizeAndFlagsOnly() throws IOException {
        try (NbdTestClient c = client()) {
            c.exportName("disk2", false);
            assertThat(c.exportSize()).isEqualTo(16L << 20);
            assertThat(c.transmissionFlags()).isEqualTo(ALL_COMMANDS);
            // The very next bytes are the reply to our first request: nothing extra was sent.
            assertThat(c.read(0, 4096).ok()).isTrue();
        }
    }

    @Test
    void exportNameWithoutNoZeroesSends124ZeroBytes() throws IOException {
        try (NbdTestClient c = NbdTestClient.connect(server.port())) {
            c.clientFlags(NbdClientFlags.FIXED_NEWSTYLE);
            byte[] zeroes = c.exportName("", true); // the empty name is the default export
            assertThat(zeroes).hasSize(124).containsOnly(0);
            assertThat(c.exportSize()).isEqualTo(16L << 20);
            assertThat(c.write(0, new byte[] {1, 2, 3}).ok()).isTrue();
            assertThat(c.readOk(0, 3)).containsExactly(1, 2, 3);
        }
    }

    @Test
    void exportNameOfAnUnknownExportDisconnects() throws IOException {
        try (NbdTestClient c = client()) {
            c.sendOption(code(NbdOption.EXPORT_NAME), "nope".getBytes(StandardCharsets.UTF_8));
            assertThat(c.awaitClosed(CLOSE_WITHIN)).isTrue();
        }
    }

    @Test
    void goCarriesExportInfoAndBlockSize() throws IOException {
        try (NbdTestClient c = client()) {
            List<OptionReply> r = c.option(code(NbdOption.GO), NbdTestClient.infoData("default",
                    NbdInfoType.BLOCK_SIZE.code(), NbdInfoType.NAME.code(), NbdInfoType.DESCRIPTION.code()));
            assertFinal(r, NbdOptionReplyType.ACK, NbdOption.GO);
            Map<Integer, ByteBuffer> infos = infos(r);
            ByteBuffer export = infos.get(NbdInfoType.EXPORT.code());
            assertThat(export.getLong()).isEqualTo(16L << 20);
            assertThat(Short.toUnsignedInt(export.getShort())).isEqualTo(ALL_COMMANDS); // no DF: not structured
            ByteBuffer bs = infos.get(NbdInfoType.BLOCK_SIZE.code());
            assertThat(bs.getInt()).isEqualTo(1);
            assertThat(bs.getInt()).isEqualTo(4096);
            assertThat(bs.getInt()).isEqualTo(32 << 20);
            assertThat(StandardCharsets.UTF_8.decode(infos.get(NbdInfoType.NAME.code())).toString())
                    .isEqualTo("default");
            assertThat(infos).containsKey(NbdInfoType.DESCRIPTION.code());
            assertThat(c.read(0, 512).ok()).isTrue();
        }
    }

    @Test
    void sendDfOnlyWithStructuredRepliesAndReadOnlyForReadOnlyExports() throws IOException {
        try (NbdTestClient c = client()) {
            c.option(code(NbdOption.STRUCTURED_REPLY), new byte[0]);
            List<OptionReply> info = c.option(code(NbdOption.INFO), NbdTestClient.infoData("default"));
            assertThat(Short.toUnsignedInt(infos(info).get(NbdInfoType.EXPORT.code()).getShort(8)))
                    .isEqualTo(ALL_COMMANDS | SEND_DF);
            List<OptionReply> go = c.option(code(NbdOption.GO), NbdTestClient.infoData("ro"));
            assertFinal(go, NbdOptionReplyType.ACK, NbdOption.GO);
            assertThat(c.transmissionFlags()).isEqualTo(ALL_COMMANDS | SEND_DF | READ_ONLY);
            // A read-only export refuses writes with EPERM and still serves reads.
            assertThat(c.write(0, new byte[16]).error()).isEqualTo(1);
            assertThat(c.trim(0, 4096).error()).isEqualTo(1);
            assertThat(c.read(0, 16).ok()).isTrue();
        }
    }

    @Test
    void goWithAnOverlongExportNameIsAnErrorAndTheSessionGoesOn() throws IOException {
        try (NbdTestClient c = client()) {
            List<OptionReply> r = c.option(code(NbdOption.GO), NbdTestClient.infoData("x".repeat(5000)));
            assertThat(r).hasSize(1);
            assertThat(r.getFirst().isError()).isTrue();
            assertThat(r.getFirst().typeName()).isIn("ERR_TOO_BIG", "ERR_INVALID", "ERR_UNKNOWN");
            assertSessionContinues(c);
        }
    }

    @Test
    void malformedInfoDataIsInvalidAndTheSessionGoesOn() throws IOException {
        try (NbdTestClient c = client()) {
            // Name length claims more bytes than the option carries.
            byte[] bad = ByteBuffer.allocate(6).putInt(100).putShort((short) 0).array();
            assertFinal(c.option(code(NbdOption.INFO), bad), NbdOptionReplyType.ERR_INVALID, NbdOption.INFO);
            assertSessionContinues(c);
        }
    }

    @Test
    void optionsAfterGoAreTransmissionRequests() throws IOException {
        try (NbdTestClient c = NbdTestClient.open(server.port(), NbdTestClient.Mode.STRUCTURED)) {
            // In transmission an unknown command is answered EINVAL; the connection goes on.
            NbdTestClient.Result r = c.request(0, NbdCommand.valueOf(0x99), 0, 0, null);
            assertThat(r.error()).isEqualTo(22);
            assertThat(c.read(0, 16).ok()).isTrue();
        }
    }
}
