package io.blockhaus.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.blockhaus.client.BlockhausClient;
import io.blockhaus.client.BlockhausException;
import io.blockhaus.client.ClientTls;
import io.blockhaus.client.Types;
import io.blockhaus.client.VolumeHandle;
import io.blockhaus.tls.TestPki;
import io.grpc.Status;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * gRPC over mutual TLS through the real serve command: {@code --tls require} with a certificate
 * from a test CA (certtool), {@code --tls-verify-peer}, {@code --admin root}, and export "secret"
 * {@code allow=alice}. The client library and bhctl connect with the CA and a client
 * certificate; the certificate's CN is the caller's identity.
 */
class ServedTlsTest extends ServedBhctlTest {
    private Path pkiDir;
    private TestPki pki;
    private TestPki.Issued root;
    private TestPki.Issued alice;
    private TestPki.Issued bob;
    private TestPki.Issued stranger;

    @Override
    void prepare(Path dataDir) throws Exception {
        pkiDir = Files.createTempDirectory("blockhaus-tls-test");
        pki = TestPki.create(pkiDir.resolve("ca"), "Blockhaus test CA");
        root = pki.client("root");
        alice = pki.client("alice");
        bob = pki.client("bob", "bob.example");
        stranger = TestPki.create(pkiDir.resolve("other"), "Another CA").client("alice");
    }

    @Override
    String[] serveOptions() {
        TestPki.Issued server = pki.server("server");
        return new String[] {"--tls", "require", "--tls-cert", server.cert().toString(),
            "--tls-key", server.key().toString(), "--tls-ca", pki.caCert().toString(), "--tls-verify-peer",
            "--admin", "root", "--export", "name=open,size=1M", "--export", "name=secret,size=1M,allow=alice"};
    }

    @AfterAll
    void removePki() throws Exception {
        if (pkiDir != null) {
            try (var files = Files.walk(pkiDir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private BlockhausClient as(TestPki.Issued who) {
        return BlockhausClient.connect(server.grpcTarget(),
                ClientTls.trusting(pki.caCert()).withClientCertificate(who.cert(), who.key()));
    }

    private static String names(java.util.List<Types.VolumeInfo> volumes) {
        return volumes.stream().map(Types.VolumeInfo::name).toList().toString();
    }

    @Test
    void theClientLibraryOverMutualTlsReadsAndWritesAnExportItsCertificateIsAllowed() {
        try (BlockhausClient c = as(alice)) {
            assertThat(names(c.listVolumes())).contains("open").contains("secret");
            try (VolumeHandle h = c.open("secret")) {
                h.write(4096, ByteBuffer.wrap("over mutual TLS".getBytes()), false);
                ByteBuffer back = h.read(4096, 15);
                byte[] bytes = new byte[back.remaining()];
                back.get(bytes);
                assertThat(new String(bytes)).isEqualTo("over mutual TLS");
            }
        }
    }

    @Test
    void anExportNotAllowedToTheCallerIsUnlistedAndNotFound() {
        try (BlockhausClient c = as(bob)) {
            assertThat(names(c.listVolumes())).contains("open").doesNotContain("secret");
            assertThatThrownBy(() -> c.open("secret")).isInstanceOfSatisfying(BlockhausException.class,
                    e -> assertThat(e.code()).isEqualTo(Status.Code.NOT_FOUND));
            assertThatThrownBy(() -> c.open("nonexistent")).isInstanceOfSatisfying(BlockhausException.class,
                    e -> assertThat(e.code()).isEqualTo(Status.Code.NOT_FOUND));
        }
    }

    @Test
    void adminRpcsNeedAnIdentityNamedByAdmin() {
        try (BlockhausClient c = as(alice)) {
            assertThatThrownBy(() -> c.createVolume("by-alice", 1 << 20, false, false))
                    .isInstanceOfSatisfying(BlockhausException.class,
                            e -> assertThat(e.code()).isEqualTo(Status.Code.PERMISSION_DENIED));
            assertThatThrownBy(() -> c.deleteVolume("open", true)).isInstanceOfSatisfying(BlockhausException.class,
                    e -> assertThat(e.code()).isEqualTo(Status.Code.PERMISSION_DENIED));
            assertThat(names(c.listVolumes())).doesNotContain("by-alice").contains("open");
        }
        try (BlockhausClient c = as(root)) {
            c.createVolume("by-root", 1 << 20, false, false);
            c.resizeVolume("by-root", 2 << 20);
            assertThat(names(c.listVolumes())).contains("by-root");
            c.deleteVolume("by-root", false);
        }
    }

    @Test
    void aCertificateFromAnotherCaIsRefused() {
        try (BlockhausClient c = as(stranger)) {
            assertThatThrownBy(c::listVolumes).isInstanceOfSatisfying(BlockhausException.class,
                    e -> assertThat(e.code()).isEqualTo(Status.Code.UNAVAILABLE));
        }
    }

    @Test
    void withoutAClientCertificateOrInTheClearNothingGetsThrough() {
        try (BlockhausClient c = BlockhausClient.connect(server.grpcTarget(), ClientTls.trusting(pki.caCert()))) {
            assertThatThrownBy(c::listVolumes).isInstanceOfSatisfying(BlockhausException.class,
                    e -> assertThat(e.code()).isEqualTo(Status.Code.UNAVAILABLE));
        }
        try (BlockhausClient c = BlockhausClient.connect(server.grpcTarget())) {
            assertThatThrownBy(c::listVolumes).isInstanceOfSatisfying(BlockhausException.class,
                    e -> assertThat(e.code()).isEqualTo(Status.Code.UNAVAILABLE));
        }
    }

    @Test
    void bhctlConnectsOverMutualTls() {
        String[] tls = {"--tls-ca", pki.caCert().toString(), "--tls-cert", alice.cert().toString(),
            "--tls-key", alice.key().toString()};
        BhctlRunner.Result list = bhctl.run(concat(tls, "volumes"));
        assertThat(list.exit()).as(list.toString()).isZero();
        assertThat(list.out()).contains("open").contains("secret");

        BhctlRunner.Result create = bhctl.run(concat(tls, "create", "from-bhctl", "1M"));
        assertThat(create.exit()).as(create.toString()).isEqualTo(1);
        assertThat(create.stderr()).contains("EACCES").contains("--admin");

        String[] asRoot = {"--tls-ca", pki.caCert().toString(), "--tls-cert", root.cert().toString(),
            "--tls-key", root.key().toString()};
        BhctlRunner.Result byRoot = bhctl.run(concat(asRoot, "create", "from-bhctl", "1M"));
        assertThat(byRoot.exit()).as(byRoot.toString()).isZero();

        BhctlRunner.Result plain = bhctl.run("volumes");
        assertThat(plain.exit()).as(plain.toString()).isEqualTo(1);
        BhctlRunner.Result half = bhctl.run("--tls-cert", alice.cert().toString(), "volumes");
        assertThat(half.exit()).as(half.toString()).isEqualTo(2);
    }

    private static String[] concat(String[] a, String... b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
