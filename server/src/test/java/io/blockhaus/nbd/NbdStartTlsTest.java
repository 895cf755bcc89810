package io.blockhaus.nbd;

import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.engine.Handle;
import io.blockhaus.engine.VolumeConfig;
import io.blockhaus.nbd.codec.NbdClientFlags;
import io.blockhaus.nbd.codec.NbdMagic;
import io.blockhaus.nbd.codec.NbdOption;
import io.blockhaus.nbd.codec.NbdOptionReplyType;
import io.blockhaus.tls.AllowList;
import io.blockhaus.tls.ExportAccess;
import io.blockhaus.tls.PeerVerification;
import io.blockhaus.tls.TestPki;
import io.blockhaus.tls.TlsMaterial;
import io.blockhaus.tls.TlsMode;
import io.blockhaus.tls.X509HandlerFactory;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * NBD_OPT_STARTTLS on the wire, with the JDK's TLS as the client: what a plain client may do in
 * each mode, that the handshake goes on inside TLS (and forgets what was negotiated in the clear),
 * and that READ and WRITE payloads travel through TLS, never by sendfile or splice.
 */
class NbdStartTlsTest {
    private static final long MIB = 1 << 20;
    private static final java.util.concurrent.atomic.AtomicInteger FILES = new java.util.concurrent.atomic.AtomicInteger();

    @TempDir
    static Path dir;
    private static TlsMaterial material;
    private static SSLContext clientTls;
    private NbdTestServer server;

    @BeforeAll
    static void pki() throws Exception {
        TestPki pki = TestPki.create(dir.resolve("pki"), "Test CA");
        TestPki.Issued cert = pki.server("server");
        material = TlsMaterial.load(cert.cert(), cert.key(), null, Instant.now());
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(pki.caCert())) {
            trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        clientTls = SSLContext.getInstance("TLS");
        clientTls.init(null, tmf.getTrustManagers(), null);
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    /** Exports "default" (memory), "file" (a sparse file, for sendfile and splice) and "secret" (allow=alice). */
    private void start(TlsMode mode) throws Exception {
        start(mode, new X509HandlerFactory(material, PeerVerification.NONE), NbdTestServer.config());
    }

    private void start(TlsMode mode, X509HandlerFactory tls, NbdServerConfig config) throws Exception {
        Map<String, AllowList> allow = Map.of("secret", AllowList.parse("alice"));
        ExportAccess access = (peer, name) -> allow.getOrDefault(name, AllowList.ANYONE).admits(peer);
        NbdSecurity security = mode == TlsMode.OFF ? NbdSecurity.NONE.withAccess(access)
                : new NbdSecurity(mode, Optional.of(tls), access);
        server = NbdTestServer.builder().security(security).server(config)
                .memory("default", 16 * MIB)
                .file("file", dir.resolve("file-" + FILES.incrementAndGet() + ".img"), 16 * MIB)
                .memory(VolumeConfig.of("secret"), 16 * MIB)
                .start();
    }

    @Test
    void underRequireAPlainClientGetsTlsRequiredForEveryOptionAndLearnsNoExportName() throws Exception {
        start(TlsMode.REQUIRE);
        try (Wire w = Wire.connect(server.port())) {
            for (NbdOption o : List.of(NbdOption.LIST, NbdOption.STRUCTURED_REPLY, NbdOption.EXTENDED_HEADERS,
                    new NbdOption(99))) {
                w.assertOnlyError(w.option(o, new byte[0]), NbdOptionReplyType.ERR_TLS_REQD);
            }
            for (NbdOption o : List.of(NbdOption.INFO, NbdOption.GO)) {
                w.assertOnlyError(w.option(o, NbdTestClient.infoData("default")), NbdOptionReplyType.ERR_TLS_REQD);
                w.assertOnlyError(w.option(o, NbdTestClient.infoData("nosuch")), NbdOptionReplyType.ERR_TLS_REQD);
            }
            w.assertOnlyError(w.option(NbdOption.LIST_META_CONTEXT, NbdTestClient.metaContextData("default")),
                    NbdOptionReplyType.ERR_TLS_REQD);
            assertThat(w.everything()).doesNotContain("default", "file", "secret");
            List<Reply> abort = w.option(NbdOption.ABORT, new byte[0]);
            assertThat(abort).singleElement().extracting(Reply::type).isEqualTo(NbdOptionReplyType.ACK.code());
            assertThat(w.closedWithin(Duration.ofSeconds(10))).isTrue();
        }
        assertThat(server.server().tlsRequiredRefusals()).isEqualTo(9);
    }

    @Test
    void underRequireExportNameInTheClearClosesTheConnection() throws Exception {
        start(TlsMode.REQUIRE);
        try (Wire w = Wire.connect(server.port())) {
            w.send(NbdOption.EXPORT_NAME, "default".getBytes(StandardCharsets.UTF_8));
            assertThat(w.closedWithin(Duration.ofSeconds(10))).isTrue();
            assertThat(w.everything()).isEmpty();
        }
    }

    @Test
    void afterStartTlsTheHandshakeGoesOnInsideTlsAndForgetsWhatWasNegotiatedBefore() throws Exception {
        start(TlsMode.ON);
        try (Wire plain = Wire.connect(server.port())) {
            assertThat(plain.option(NbdOption.STRUCTURED_REPLY, new byte[0]).getLast().type())
                    .isEqualTo(NbdOptionReplyType.ACK.code());
            Wire w = plain.startTls();
            assertThat(w.option(NbdOption.STARTTLS, new byte[0]).getLast().type())
                    .as("a second STARTTLS").isEqualTo(NbdOptionReplyType.ERR_INVALID.code());
            List<Reply> list = w.option(NbdOption.LIST, new byte[0]);
            assertThat(list.stream().filter(r -> r.type() == NbdOptionReplyType.SERVER.code()).map(Reply::name))
                    .as("anonymous over TLS: secret stays hidden").containsExactly("default", "file");
            assertThat(w.option(NbdOption.GO, NbdTestClient.infoData("default")).getLast().type())
                    .isEqualTo(NbdOptionReplyType.ACK.code());
            byte[] data = new byte[4096];
            new Random(7).nextBytes(data);
            try (Handle h = server.volume("default").open()) {
                h.write(8192, ByteBuffer.wrap(data), false);
            }
            // Structured replies were negotiated in the clear only: the READ's reply must be simple.
            w.request(1, 0, 8192, 4096, null);
            assertThat(w.in.readInt()).isEqualTo(NbdMagic.SIMPLE_REPLY);
            assertThat(w.in.readInt()).as("error").isZero();
            assertThat(w.in.readLong()).as("cookie").isEqualTo(1);
            assertThat(w.in.readNBytes(4096)).isEqualTo(data);
        }
    }

    /**
     * The handshake's CPU (the JDK engine's delegated tasks) runs on the factory's executor, not on
     * the event loop: with one event loop and the handshake's tasks held, a plain client of the
     * same loop is answered; released, the handshake completes and the TLS client is served.
     */
    @Test
    void aHandshakeWhoseTasksAreHeldDoesNotStallAnotherConnectionOnTheSameLoop() throws Exception {
        List<Runnable> held = java.util.Collections.synchronizedList(new ArrayList<>());
        java.util.concurrent.Semaphore arrived = new java.util.concurrent.Semaphore(0);
        java.util.concurrent.atomic.AtomicInteger ran = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.ExecutorService runner = java.util.concurrent.Executors.newSingleThreadExecutor();
        java.util.concurrent.atomic.AtomicBoolean holding = new java.util.concurrent.atomic.AtomicBoolean(true);
        java.util.concurrent.Executor tasks = task -> {
            Runnable counted = () -> {
                ran.incrementAndGet();
                task.run();
            };
            if (holding.get()) {
                held.add(counted);
                arrived.release();
            } else {
                runner.execute(counted);
            }
        };
        start(TlsMode.ON, new X509HandlerFactory(material, PeerVerification.NONE, tasks),
                NbdTestServer.config().withEventLoops(1));
        try (Wire plain = Wire.connect(server.port())) {
            java.util.concurrent.CompletableFuture<Wire> tls = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return plain.startTls();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            assertThat(arrived.tryAcquire(10, java.util.concurrent.TimeUnit.SECONDS))
                    .as("the handshake handed a task to the executor").isTrue();
            long t0 = System.nanoTime();
            try (Wire other = Wire.connect(server.port())) {
                List<Reply> list = other.option(NbdOption.LIST, new byte[0]);
                assertThat(list.getLast().type()).isEqualTo(NbdOptionReplyType.ACK.code());
            }
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("answered while the handshake is held")
                    .isLessThan(Duration.ofSeconds(5));
            assertThat(tls).as("the handshake cannot end while its task is held").isNotDone();
            holding.set(false);
            synchronized (held) {
                held.forEach(runner::execute);
            }
            Wire w = tls.get(20, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(w.option(NbdOption.GO, NbdTestClient.infoData("default")).getLast().type())
                    .isEqualTo(NbdOptionReplyType.ACK.code());
            w.request(1, 0, 0, 4096, null);
            assertSimpleOk(w, 1);
            assertThat(w.in.readNBytes(4096)).hasSize(4096);
            assertThat(ran.get()).isPositive();
        } finally {
            runner.shutdownNow();
        }
    }

    @Test
    void overTlsLargeReadsAndWritesTravelAsBuffersNotBySendfileOrSplice() throws Exception {
        start(TlsMode.REQUIRE);
        byte[] data = new byte[(int) MIB];
        new Random(11).nextBytes(data);
        try (Wire w = Wire.connect(server.port()).startTls()) {
            assertThat(w.option(NbdOption.GO, NbdTestClient.infoData("file")).getLast().type())
                    .isEqualTo(NbdOptionReplyType.ACK.code());
            w.request(2, 1, 4 * MIB, data.length, data); // WRITE 1 MiB, page-aligned: the splice path in the clear
            assertSimpleOk(w, 2);
            w.request(3, 3, 0, 0, null); // FLUSH: the file's pages are now in the kernel's cache
            assertSimpleOk(w, 3);
            w.request(4, 0, 4 * MIB, data.length, null); // READ 1 MiB: the sendfile path in the clear
            assertSimpleOk(w, 4);
            assertThat(w.in.readNBytes(data.length)).isEqualTo(data);
        }
        assertThat(server.server().splicedWrites()).isZero();
        assertThat(server.server().pipeCopiedWrites()).isZero();
        assertThat(server.server().readsSentFromFile()).isZero();
        assertThat(server.server().readsCopiedFromFile()).as("nor the loopback copy: TLS copies through the engine").isZero();
    }

    @Test
    void bytesSentBehindStartTlsBeforeItsAnswerCloseTheConnection() throws Exception {
        start(TlsMode.REQUIRE);
        try (Wire w = Wire.connect(server.port())) {
            // STARTTLS and, in the same segment, an option in the clear (the STARTTLS injection).
            ByteBuffer b = ByteBuffer.allocate(32);
            b.putLong(NbdMagic.IHAVEOPT).putInt(NbdOption.STARTTLS.code()).putInt(0);
            b.putLong(NbdMagic.IHAVEOPT).putInt(NbdOption.LIST.code()).putInt(0);
            w.out.write(b.array());
            w.out.flush();
            assertThat(w.closedWithin(Duration.ofSeconds(10))).isTrue();
            assertThat(w.everything()).isEmpty(); // not even the ACK
        }
    }

    @Test
    void startTlsWithDataIsInvalidAndOffRefusesByPolicy() throws Exception {
        start(TlsMode.REQUIRE);
        try (Wire w = Wire.connect(server.port())) {
            w.assertOnlyError(w.option(NbdOption.STARTTLS, new byte[3]), NbdOptionReplyType.ERR_INVALID);
        }
        server.close();
        start(TlsMode.OFF);
        try (Wire w = Wire.connect(server.port())) {
            w.assertOnlyError(w.option(NbdOption.STARTTLS, new byte[0]), NbdOptionReplyType.ERR_POLICY);
        }
    }

    @Test
    void anExportAPeerMayNotOpenLooksMissingAndIsCounted() throws Exception {
        start(TlsMode.ON);
        try (Wire w = Wire.connect(server.port())) {
            List<Reply> list = w.option(NbdOption.LIST, new byte[0]);
            assertThat(list.stream().filter(r -> r.type() == NbdOptionReplyType.SERVER.code()).map(Reply::name))
                    .containsExactly("default", "file");
            List<Reply> info = w.option(NbdOption.INFO, NbdTestClient.infoData("secret"));
            List<Reply> missing = w.option(NbdOption.INFO, NbdTestClient.infoData("nosuch"));
            w.assertOnlyError(info, NbdOptionReplyType.ERR_UNKNOWN);
            assertThat(new String(info.getLast().data(), StandardCharsets.UTF_8))
                    .isEqualTo(new String(missing.getLast().data(), StandardCharsets.UTF_8).replace("nosuch", "secret"));
            w.assertOnlyError(w.option(NbdOption.GO, NbdTestClient.infoData("secret")), NbdOptionReplyType.ERR_UNKNOWN);
            w.send(NbdOption.EXPORT_NAME, "secret".getBytes(StandardCharsets.UTF_8));
            assertThat(w.closedWithin(Duration.ofSeconds(10))).isTrue();
        }
        assertThat(server.server().accessRefusals()).isEqualTo(3);
    }

    private static void assertSimpleOk(Wire w, long cookie) throws IOException {
        assertThat(w.in.readInt()).isEqualTo(NbdMagic.SIMPLE_REPLY);
        assertThat(w.in.readInt()).as("error of request %d", cookie).isZero();
        assertThat(w.in.readLong()).isEqualTo(cookie);
    }

    /** One option reply. */
    record Reply(int option, int type, byte[] data) {
        String name() {
            ByteBuffer b = ByteBuffer.wrap(data);
            byte[] n = new byte[b.getInt()];
            b.get(n);
            return new String(n, StandardCharsets.UTF_8);
        }
    }

    /** The handshake over a plain socket or, after {@link #startTls}, over TLS on the same socket. */
    private static final class Wire implements AutoCloseable {
        final Socket socket;
        final DataInputStream in;
        final DataOutputStream out;
        private final List<Reply> seen = new ArrayList<>();

        private Wire(Socket socket) throws IOException {
            this.socket = socket;
            socket.setSoTimeout(20_000);
            this.in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
            this.out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream()));
        }

        /** Connects, reads the greeting and sends the fixed-newstyle client flags. */
        static Wire connect(int port) throws IOException {
            Wire w = new Wire(new Socket("127.0.0.1", port));
            assertThat(w.in.readLong()).isEqualTo(NbdMagic.NBDMAGIC);
            assertThat(w.in.readLong()).isEqualTo(NbdMagic.IHAVEOPT);
            w.in.readUnsignedShort();
            w.out.writeInt(NbdClientFlags.FIXED_NEWSTYLE | NbdClientFlags.NO_ZEROES);
            w.out.flush();
            return w;
        }

        /** STARTTLS, its ACK, then a TLS handshake on the same socket; the returned wire speaks TLS. */
        Wire startTls() throws IOException {
            List<Reply> r = option(NbdOption.STARTTLS, new byte[0]);
            assertThat(r).singleElement().extracting(Reply::type).isEqualTo(NbdOptionReplyType.ACK.code());
            SSLSocket tls = (SSLSocket) clientTls.getSocketFactory().createSocket(socket, "localhost",
                    socket.getPort(), true);
            tls.setUseClientMode(true);
            tls.startHandshake();
            assertThat(tls.getSession().getProtocol()).isIn("TLSv1.3", "TLSv1.2");
            return new Wire(tls);
        }

        void send(NbdOption o, byte[] data) throws IOException {
            out.writeLong(NbdMagic.IHAVEOPT);
            out.writeInt(o.code());
            out.writeInt(data.length);
            out.write(data);
            out.flush();
        }

        List<Reply> option(NbdOption o, byte[] data) throws IOException {
            send(o, data);
            List<Reply> replies = new ArrayList<>();
            while (true) {
                assertThat(in.readLong()).isEqualTo(NbdMagic.OPTION_REPLY);
                Reply r = new Reply(in.readInt(), in.readInt(), in.readNBytes(in.readInt()));
                assertThat(r.option()).isEqualTo(o.code());
                replies.add(r);
                seen.add(r);
                if (r.type() == NbdOptionReplyType.ACK.code() || NbdOptionReplyType.valueOf(r.type()).isError()) {
                    return replies;
                }
            }
        }

        void assertOnlyError(List<Reply> replies, NbdOptionReplyType type) {
            assertThat(replies).singleElement().extracting(r -> NbdOptionReplyType.valueOf(r.type())).isEqualTo(type);
        }

        /** A transmission request with simple headers: READ 0, WRITE 1, FLUSH 3. */
        void request(long cookie, int type, long offset, int length, byte[] payload) throws IOException {
            out.writeInt(NbdMagic.REQUEST);
            out.writeShort(0);
            out.writeShort(type);
            out.writeLong(cookie);
            out.writeLong(offset);
            out.writeInt(length);
            if (payload != null) {
                out.write(payload);
            }
            out.flush();
        }

        /** All option reply data seen, as text (to look for export names). */
        String everything() {
            StringBuilder b = new StringBuilder();
            for (Reply r : seen) {
                b.append(new String(r.data(), StandardCharsets.ISO_8859_1));
            }
            return b.toString();
        }

        boolean closedWithin(Duration d) throws IOException {
            socket.setSoTimeout((int) d.toMillis());
            try {
                return in.read() < 0;
            } catch (java.net.SocketTimeoutException e) {
                return false;
            } catch (java.net.SocketException e) {
                return true;
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
