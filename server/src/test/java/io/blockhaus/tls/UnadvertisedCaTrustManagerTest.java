package io.blockhaus.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The trust manager names no CA but verifies as the JDK's does: a client certificate from the CA
 * passes, one from another CA does not. (That GnuTLS then sends its RSA certificate is
 * NbdTlsInteropTest's.)
 */
class UnadvertisedCaTrustManagerTest {
    @TempDir
    static Path dir;
    private static X509Certificate ca;
    private static X509Certificate ours;
    private static X509Certificate foreign;

    @BeforeAll
    static void pki() throws Exception {
        TestPki pki = TestPki.create(dir.resolve("ca"), "Test CA");
        ca = read(pki.caCert());
        ours = read(pki.rsaClient("alice", "alice").cert());
        foreign = read(TestPki.create(dir.resolve("other"), "Test CA").rsaClient("alice", "alice").cert());
    }

    @Test
    void namesNoCaButAcceptsAChainFromItAndRefusesOneFromAnotherCaOfTheSameName() throws Exception {
        UnadvertisedCaTrustManager tm = UnadvertisedCaTrustManager.trusting(List.of(ca));
        assertThat(tm.getAcceptedIssuers()).isEmpty();
        tm.checkClientTrusted(new X509Certificate[] {ours}, "RSA");
        assertThatThrownBy(() -> tm.checkClientTrusted(new X509Certificate[] {foreign}, "RSA"))
                .isInstanceOf(CertificateException.class);
    }

    private static X509Certificate read(Path pem) throws Exception {
        try (InputStream in = Files.newInputStream(pem)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }
}
