package io.blockhaus.nbd.interop;

import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.engine.Handle;
import io.blockhaus.engine.VolumeConfig;
import io.blockhaus.nbd.NbdSecurity;
import io.blockhaus.nbd.NbdTestServer;
import io.blockhaus.tls.AllowList;
import io.blockhaus.tls.ExportAccess;
import io.blockhaus.tls.PeerVerification;
import io.blockhaus.tls.TestPki;
import io.blockhaus.tls.TlsMaterial;
import io.blockhaus.tls.TlsMode;
import io.blockhaus.tls.X509HandlerFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real clients over TLS with certificates (libnbd's nbdinfo, nbdcopy and Python binding; qemu-io)
 * against a server in {@code --tls require} mode with {@code --tls-verify-peer}: exports
 * "default" and "ro" (read-only) open to every verified client, "shared" only to alice (allow=alice).
 * Certificates come from a CA made for the run, on ECDSA keys but for one of alice's, on RSA;
 * "stranger" holds one from another CA.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NbdTlsInteropTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final long MIB = 1 << 20;

    @TempDir
    static Path dir;
    private NbdTestServer server;
    private Path alice;
    private Path aliceRsa;
    private Path bob;
    private Path stranger;
    private Path noCertificate;

    @BeforeAll
    void start() throws Exception {
        Proc.requireTool("nbdinfo", "libnbd-bin");
        TestPki pki = TestPki.create(dir.resolve("ca"), "Blockhaus Test CA");
        TestPki.Issued serverCert = pki.server("server");
        alice = TestPki.clientDir(dir.resolve("alice"), pki.caCert(), pki.client("alice"));
        aliceRsa = TestPki.clientDir(dir.resolve("alice-rsa"), pki.caCert(), pki.rsaClient("alice-rsa", "alice"));
        bob = TestPki.clientDir(dir.resolve("bob"), pki.caCert(), pki.client("bob", "bob.example.com"));
        noCertificate = TestPki.clientDir(dir.resolve("anon"), pki.caCert(), null);
        TestPki other = TestPki.create(dir.resolve("other-ca"), "Other CA");
        stranger = TestPki.clientDir(dir.resolve("stranger"), pki.caCert(), other.client("alice"));

        TlsMaterial material = TlsMaterial.load(serverCert.cert(), serverCert.key(), pki.caCert(), Instant.now());
        Map<String, AllowList> allow = Map.of("shared", AllowList.parse("alice"));
        ExportAccess access = (peer, name) -> allow.getOrDefault(name, AllowList.ANYONE).admits(peer);
        server = NbdTestServer.builder()
                .security(new NbdSecurity(TlsMode.REQUIRE,
                        Optional.of(new X509HandlerFactory(material, PeerVerification.REQUIRED)), access))
                .memory("default", 16 * MIB)
                .memory("shared", 16 * MIB)
                .memory(VolumeConfig.of("ro").withReadOnly(true), 16 * MIB)
                .start();
    }

    @AfterAll
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private String tlsUri(String export, Path certificates) {
        return "nbds://127.0.0.1:" + server.port() + "/" + export + "?tls-certificates=" + certificates;
    }

    private List<String> listed(Path certificates) {
        Proc.Result r = Proc.run(TIMEOUT, "nbdinfo", "--list", "--json", tlsUri("", certificates)).ok();
        List<String> names = new ArrayList<>();
        for (Object e : Json.<List<Object>>at(Json.object(r.stdout()), "exports")) {
            names.add(Json.at(e, "export-name"));
        }
        return names;
    }

    @Test
    void nbdinfoListsAndNbdcopyReadsOverTls() throws Exception {
        assertThat(listed(alice)).containsExactly("default", "shared", "ro");
        byte[] data = new byte[(int) MIB];
        new Random(3).nextBytes(data);
        try (Handle h = server.volume("default").open()) {
            h.write(2 * MIB, ByteBuffer.wrap(data), false);
        }
        Proc.requireTool("nbdcopy", "libnbd-bin");
        Path out = dir.resolve("default.copy");
        Proc.run(TIMEOUT, "nbdcopy", tlsUri("default", alice), out.toString()).ok();
        byte[] copy = Files.readAllBytes(out);
        assertThat(copy).hasSize((int) (16 * MIB));
        assertThat(Arrays.copyOfRange(copy, (int) (2 * MIB), (int) (3 * MIB))).isEqualTo(data);
    }

    @Test
    void aPlainClientGetsTlsRequiredAndSeesNoExportName() {
        long before = server.server().tlsRequiredRefusals();
        Proc.Result list = Proc.run(TIMEOUT, "nbdinfo", "--list", server.baseUri());
        assertThat(list.exit()).as(list.describe()).isNotZero();
        assertThat(list.all()).doesNotContain("shared", "\"ro\"", "export=");
        Proc.Result open = Proc.run(TIMEOUT, "nbdinfo", server.uri("default"));
        assertThat(open.exit()).as(open.describe()).isNotZero();
        assertThat(server.server().tlsRequiredRefusals()).isGreaterThan(before);
    }

    @Test
    void aClientCertificateFromAnotherCaOrNoneIsRefused() {
        long before = server.server().tlsHandshakeFailures();
        Proc.Result r = Proc.run(TIMEOUT, "nbdinfo", "--list", tlsUri("", stranger));
        assertThat(r.exit()).as(r.describe()).isNotZero();
        Proc.Result none = Proc.run(TIMEOUT, "nbdinfo", tlsUri("default", noCertificate));
        assertThat(none.exit()).as(none.describe()).isNotZero();
        assertThat(server.server().tlsHandshakeFailures()).isGreaterThanOrEqualTo(before + 2);
    }

    @Test
    void anIdentityNotInAllowCanNeitherListNorOpenTheExportWhileAnAllowedOneCan() {
        long before = server.server().accessRefusals();
        assertThat(listed(bob)).containsExactly("default", "ro");
        Proc.Result r = Proc.run(TIMEOUT, "nbdinfo", tlsUri("shared", bob));
        assertThat(r.exit()).as(r.describe()).isNotZero();
        assertThat(r.all()).contains("No such file or directory"); // NBD_REP_ERR_UNKNOWN, as for a missing export
        assertThat(server.server().accessRefusals()).isGreaterThan(before);
        Proc.Result ok = Proc.run(TIMEOUT, "nbdinfo", "--json", tlsUri("shared", alice)).ok();
        assertThat(ok.stdout()).contains("\"export-name\": \"shared\"");
    }

    @Test
    void qemuIoReadsAndWritesOverTls() throws Exception {
        qemuIoWritesAndReadsBack(alice, "default", 4 * MIB, 256 * 1024, (byte) 0x5a);
    }

    /**
     * GnuTLS 3.7 (libnbd, qemu) once sent no certificate at all from an RSA key: the server named
     * its CA in the TLS 1.3 CertificateRequest, and GnuTLS, choosing by CA, found RSA missing from
     * the key types it derives from the server's signature algorithms (RSA-PSS only). The server
     * now names no CA (UnadvertisedCaTrustManager); this fails again if it does.
     */
    @Test
    void anRsaClientKeyIsSentVerifiedAndIdentifiesItsHolder() throws Exception {
        Proc.Result info = Proc.run(TIMEOUT, "nbdinfo", "--json", tlsUri("shared", aliceRsa)).ok();
        assertThat(info.stdout()).contains("\"export-name\": \"shared\""); // alice: allow=alice admits her
        qemuIoWritesAndReadsBack(aliceRsa, "shared", MIB, 64 * 1024, (byte) 0xc3);
    }

    /** qemu-io, with the certificates in {@code certificates}, writes a pattern and reads it back; the volume holds it. */
    private void qemuIoWritesAndReadsBack(Path certificates, String export, long offset, int length, byte pattern)
            throws Exception {
        Proc.requireTool("qemu-io", "qemu-utils");
        String image = "driver=nbd,host=127.0.0.1,port=" + server.port() + ",export=" + export + ",tls-creds=tls0";
        String creds = "tls-creds-x509,id=tls0,dir=" + certificates + ",endpoint=client";
        String range = String.format("0x%x %d %d", pattern, offset, length);
        Proc.Result w = Proc.run(TIMEOUT, "qemu-io", "--object", creds, "--image-opts", image,
                "-c", "write -P " + range, "-c", "read -P " + range).ok();
        assertThat(w.stdout()).contains("wrote " + length + "/" + length).contains("read " + length + "/" + length)
                .doesNotContain("Pattern verification failed");
        ByteBuffer b = ByteBuffer.allocate(length);
        try (Handle h = server.volume(export).open()) {
            h.read(offset, b);
        }
        for (int i = 0; i < b.capacity(); i++) {
            assertThat(b.get(i)).as("byte %d", i).isEqualTo(pattern);
        }
    }

    @Test
    void writesToAReadOnlyExportOverTlsFailWithEpermAndChangeNothing() throws Exception {
        PyNbd.require();
        Path script = Files.writeString(dir.resolve("ro-write.py"), String.join("\n",
                "import errno, json, nbd, sys",
                "h = nbd.NBD()",
                "h.set_strict_mode(0)  # send the WRITE: the server, not libnbd, must refuse it",
                "h.set_uri_allow_local_file(True)  # tls-certificates= names a local directory",
                "h.connect_uri(sys.argv[1])",
                "try:",
                "    h.pwrite(b'\\xab' * 65536, 0)",
                "    print(json.dumps({'errno': 0}))",
                "except nbd.Error as e:",
                "    print(json.dumps({'errno': e.errno, 'tls': h.get_tls_negotiated()}))",
                ""));
        Map<String, Object> r = PyNbd.run(TIMEOUT, script, tlsUri("ro", alice));
        assertThat(r.get("errno")).as("%s", r).isEqualTo("EPERM");
        assertThat(r.get("tls")).isEqualTo(Boolean.TRUE);
        ByteBuffer b = ByteBuffer.allocate(65536);
        try (Handle h = server.volume("ro").open()) {
            h.read(0, b);
        }
        assertThat(b.array()).containsOnly((byte) 0);
    }
}
