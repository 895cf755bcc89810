package io.blockhaus.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The start-up checks of the key material, on certificates and keys made here by certtool and openssl. */
class TlsMaterialTest {
    @TempDir
    static Path dir;
    private static TestPki pki;
    private static TestPki.Issued server;

    @BeforeAll
    static void pki() {
        pki = TestPki.create(dir.resolve("ca"), "Test CA");
        server = pki.server("server");
    }

    @Test
    void loadsTheChainItsKeyAndTheCa() {
        TlsMaterial m = TlsMaterial.load(server.cert(), server.key(), pki.caCert(), Instant.now());
        assertThat(m.certificate().getSubjectX500Principal().getName()).isEqualTo("CN=localhost");
        assertThat(m.trusted()).singleElement().extracting(c -> c.getSubjectX500Principal().getName())
                .isEqualTo("CN=Test CA");
        assertThat(TlsMaterial.load(server.cert(), server.key(), null, Instant.now()).trusted()).isEmpty();
    }

    @Test
    void aCertificateOutsideItsValidityIsRefusedWithItsDate() {
        Instant later = Instant.now().plus(Duration.ofDays(40));
        assertThatThrownBy(() -> TlsMaterial.load(server.cert(), server.key(), null, later))
                .isInstanceOf(TlsConfigException.class)
                .hasMessageStartingWith("--tls-cert " + server.cert() + ": certificate CN=localhost expired on ");
        Instant earlier = Instant.now().minus(Duration.ofDays(2));
        assertThatThrownBy(() -> TlsMaterial.load(server.cert(), server.key(), null, earlier))
                .hasMessageContaining("certificate CN=localhost is not valid before ");
        assertThatThrownBy(() -> TlsMaterial.load(server.cert(), server.key(), pki.caCert(), later))
                .hasMessageStartingWith("--tls-cert ");
    }

    @Test
    void aKeyOfAnotherCertificateIsRefused() {
        Path other = pki.strayKey("stray");
        assertThatThrownBy(() -> TlsMaterial.load(server.cert(), other, null, Instant.now()))
                .isInstanceOf(TlsConfigException.class)
                .hasMessage("--tls-key " + other + " is not the key of the certificate in --tls-cert " + server.cert()
                        + " (CN=localhost)");
    }

    @Test
    void missingUnreadableAndWrongFilesAreNamed() throws Exception {
        Path none = dir.resolve("none.pem");
        assertThatThrownBy(() -> TlsMaterial.load(none, server.key(), null, Instant.now()))
                .hasMessage("--tls-cert " + none + ": no such file");
        assertThatThrownBy(() -> TlsMaterial.load(server.cert(), server.key(), dir, Instant.now()))
                .hasMessage("--tls-ca " + dir + ": not a regular file");
        Path text = Files.writeString(dir.resolve("text.pem"), "hello\n");
        assertThatThrownBy(() -> TlsMaterial.load(text, server.key(), null, Instant.now()))
                .hasMessageStartingWith("--tls-cert " + text + ": ");
        assertThatThrownBy(() -> TlsMaterial.load(server.cert(), text, null, Instant.now()))
                .hasMessage("--tls-key " + text + ": no PEM private key (-----BEGIN PRIVATE KEY-----) in the file");
        assertThatThrownBy(() -> TlsMaterial.load(server.cert(), server.key(), server.key(), Instant.now()))
                .hasMessageStartingWith("--tls-ca " + server.key() + ": no certificate in the file");
    }

    @Test
    void readsPkcs8Pkcs1AndSec1KeysAlike() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/openssl")), "openssl not installed: skipping");
        Path rsa8 = dir.resolve("rsa8.pem");
        TestPki.run("openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", rsa8.toString());
        Path rsa1 = dir.resolve("rsa1.pem");
        TestPki.run("openssl", "rsa", "-in", rsa8.toString(), "-traditional", "-out", rsa1.toString());
        assertThat(Files.readString(rsa1)).contains("BEGIN RSA PRIVATE KEY");
        assertSameKey(rsa8, rsa1);

        Path sec1 = server.key(); // certtool writes EC keys as SEC1
        assertThat(Files.readString(sec1)).contains("BEGIN EC PRIVATE KEY");
        Path ec8 = dir.resolve("ec8.pem");
        TestPki.run("openssl", "pkcs8", "-topk8", "-nocrypt", "-in", sec1.toString(), "-out", ec8.toString());
        assertSameKey(ec8, sec1);

        Path ed = dir.resolve("ed.pem");
        TestPki.run("openssl", "genpkey", "-algorithm", "ed25519", "-out", ed.toString());
        assertThat(PemKeys.read(Files.readString(ed)).getAlgorithm()).isIn("EdDSA", "Ed25519");

        Path encrypted = dir.resolve("enc.pem");
        TestPki.run("openssl", "pkcs8", "-topk8", "-in", rsa8.toString(), "-passout", "pass:secret",
                "-out", encrypted.toString());
        assertThatThrownBy(() -> PemKeys.read(Files.readString(encrypted))).hasMessageStartingWith("the key is encrypted");
    }

    @Test
    void aClientCertificateGivesItsCommonNameAndAltNames() {
        TestPki.Issued alice = pki.client("alice", "alice.example.com");
        X509Certificate cert = TlsMaterial.certificates("--tls-cert", alice.cert(), Instant.now()).getFirst();
        PeerIdentity.Certificate id = PeerIdentity.Certificate.of(cert);
        assertThat(id.commonName()).contains("alice");
        assertThat(id.subjectAltNames()).containsExactly("alice.example.com");
        assertThat(id.names()).containsExactly("alice", "alice.example.com");
    }

    private static void assertSameKey(Path a, Path b) throws Exception {
        PrivateKey ka = PemKeys.read(Files.readString(a));
        PrivateKey kb = PemKeys.read(Files.readString(b));
        assertThat(kb.getAlgorithm()).isEqualTo(ka.getAlgorithm());
        if (ka instanceof ECPrivateKey ea && kb instanceof ECPrivateKey eb) {
            // Encodings differ (certtool keeps the curve and a leading zero inside SEC1); the key does not.
            assertThat(eb.getS()).isEqualTo(ea.getS());
            assertThat(eb.getParams().toString()).isEqualTo(ea.getParams().toString());
        } else {
            assertThat(kb.getEncoded()).isEqualTo(ka.getEncoded());
        }
        assertThat(List.of(ka.getFormat(), kb.getFormat())).containsOnly("PKCS#8");
    }
}
