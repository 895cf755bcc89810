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
 * gRPC over server-authenticated TLS (no client certificates) through the real serve command:
 * {@code --tls on} with a certificate from a test CA and neither {@code --tls-ca} nor
 * {@code --tls-verify-peer}. A client that trusts the CA is served as an anonymous caller (an
 * export without {@code allow=} opens; one with it stays hidden); a plaintext client is not; admin
 * RPCs, with no {@code --admin}, are for callers on the server's host, which the test is.
 */
class ServedServerTlsTest extends ServedBhctlTest {
    private Path pkiDir;
    private TestPki pki;

    @Override
    void prepare(Path dataDir) throws Exception {
        pkiDir = Files.createTempDirectory("blockhaus-server-tls-test");
        pki = TestPki.create(pkiDir.resolve("ca"), "Blockhaus test CA");
    }

    @Override
    String[] serveOptions() {
        TestPki.Issued server = pki.server("server");
        return new String[] {"--tls", "on", "--tls-cert", server.cert().toString(),
            "--tls-key", server.key().toString(),
            "--export", "name=open,size=1M", "--export", "name=secret,size=1M,allow=alice"};
    }

    @AfterAll
    void removePki() throws Exception {
        if (pkiDir != null) {
            try (var files = Files.walk(pkiDir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void aClientTrustingTheCaIsServedAnonymously() {
        try (BlockhausClient c = BlockhausClient.connect(server.grpcTarget(), ClientTls.trusting(pki.caCert()))) {
            assertThat(c.listVolumes().stream().map(Types.VolumeInfo::name).toList())
                    .contains("open").doesNotContain("secret");
            try (VolumeHandle h = c.open("open")) {
                h.write(8192, ByteBuffer.wrap("server-side TLS".getBytes()), false);
                ByteBuffer back = h.read(8192, 15);
                byte[] bytes = new byte[back.remaining()];
                back.get(bytes);
                assertThat(new String(bytes)).isEqualTo("server-side TLS");
            }
            assertThatThrownBy(() -> c.open("secret")).isInstanceOfSatisfying(BlockhausException.class,
                    e -> assertThat(e.code()).isEqualTo(Status.Code.NOT_FOUND));
        }
    }

    @Test
    void aPlaintextClientGetsNothing() {
        try (BlockhausClient c = BlockhausClient.connect(server.grpcTarget())) {
            assertThatThrownBy(c::listVolumes).isInstanceOfSatisfying(BlockhausException.class,
                    e -> assertThat(e.code()).isEqualTo(Status.Code.UNAVAILABLE));
        }
    }

    @Test
    void bhctlWithTheCaAloneListsAndCreatesFromTheServersHost() {
        BhctlRunner.Result list = bhctl.run("--tls-ca", pki.caCert().toString(), "volumes");
        assertThat(list.exit()).as(list.toString()).isZero();
        assertThat(list.out()).contains("open").doesNotContain("secret");
        BhctlRunner.Result create = bhctl.run("--tls-ca", pki.caCert().toString(), "create", "made-over-tls", "1M");
        assertThat(create.exit()).as(create.toString()).isZero();
        BhctlRunner.Result plain = bhctl.run("volumes");
        assertThat(plain.exit()).as(plain.toString()).isEqualTo(1);
    }
}
