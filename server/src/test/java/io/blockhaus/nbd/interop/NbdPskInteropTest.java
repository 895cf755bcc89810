package io.blockhaus.nbd.interop;

import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.engine.VolumeConfig;
import io.blockhaus.nbd.NbdSecurity;
import io.blockhaus.nbd.NbdTestServer;
import io.blockhaus.tls.AllowList;
import io.blockhaus.tls.ExportAccess;
import io.blockhaus.tls.PskFile;
import io.blockhaus.tls.TlsMode;
import io.blockhaus.tls.psk.PskHandlerFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
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
 * TLS-PSK on NBD with the clients users have: libnbd ({@code nbds://alice@host/export?tls-psk-file=})
 * and qemu ({@code tls-creds-psk} over a directory holding {@code keys.psk}), against a server
 * started with {@code --tls require} and a psktool-format key file. Export "secret" is
 * {@code allow=alice}: bob (a valid key, another identity) neither sees nor opens it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NbdPskInteropTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final long MIB = 1 << 20;

    @TempDir
    static Path dir;
    private NbdTestServer server;
    private Path keys;
    private Path aliceDir;
    private Path bobDir;
    private String aliceKey;

    @BeforeAll
    void start() throws Exception {
        Random random = new Random(42);
        aliceKey = hex(random, 32);
        String bobKey = hex(random, 32);
        keys = Files.writeString(dir.resolve("keys.psk"), "alice:" + aliceKey + "\nbob:" + bobKey + "\n");
        // qemu reads <dir>/keys.psk and picks the line of its username.
        aliceDir = Files.createDirectories(dir.resolve("alice"));
        Files.copy(keys, aliceDir.resolve("keys.psk"));
        bobDir = Files.createDirectories(dir.resolve("bob"));
        Files.copy(keys, bobDir.resolve("keys.psk"));

        Map<String, AllowList> allow = Map.of("secret", AllowList.parse("alice"));
        ExportAccess access = (peer, name) -> allow.getOrDefault(name, AllowList.ANYONE).admits(peer);
        NbdSecurity security = new NbdSecurity(TlsMode.REQUIRE,
                Optional.of(new PskHandlerFactory(PskFile.load(keys))), access);
        server = NbdTestServer.builder().security(security)
                .memory("default", 16 * MIB)
                .memory(VolumeConfig.of("secret"), 16 * MIB)
                .start();
    }

    @AfterAll
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static String hex(Random random, int bytes) {
        byte[] b = new byte[bytes];
        random.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    private String nbds(String user, String export, Path pskFile) {
        return "nbds://" + user + "@127.0.0.1:" + server.port() + "/" + export + "?tls-psk-file=" + pskFile;
    }

    private Proc.Result qemuIo(String user, Path credsDir, String export, String... commands) {
        List<String> c = new java.util.ArrayList<>(List.of("qemu-io",
                "--object", "tls-creds-psk,id=tls0,endpoint=client,username=" + user + ",dir=" + credsDir,
                "--image-opts", "driver=raw,file.driver=nbd,file.host=127.0.0.1,file.port=" + server.port()
                        + ",file.export=" + export + ",file.tls-creds=tls0"));
        for (String command : commands) {
            c.add("-c");
            c.add(command);
        }
        return Proc.run(TIMEOUT, null, c);
    }

    @Test
    void nbdinfoListsWhatItsIdentityMayOpen() {
        Proc.requireTool("nbdinfo", "libnbd-bin");
        String alice = Proc.run(TIMEOUT, "nbdinfo", "--list", "--json", nbds("alice", "", keys)).ok().stdout();
        assertThat(alice).contains("\"export-name\": \"default\"").contains("\"export-name\": \"secret\"");
        String bob = Proc.run(TIMEOUT, "nbdinfo", "--list", "--json", nbds("bob", "", keys)).ok().stdout();
        assertThat(bob).contains("\"export-name\": \"default\"").doesNotContain("secret");
    }

    @Test
    void qemuIoWritesOverPskAndLibnbdReadsTheSameBytesBack() throws Exception {
        Proc.requireTool("qemu-io", "qemu-utils");
        Proc.requireTool("nbdcopy", "libnbd-bin");
        Proc.Result w = qemuIo("alice", aliceDir, "default", "write -P 0xa5 1M 1M", "read -P 0xa5 1M 1M").ok();
        assertThat(w.all()).as(w.describe()).doesNotContain("Pattern verification failed").contains("wrote 1048576/1048576");

        Path copy = dir.resolve("copy.img");
        Proc.run(TIMEOUT, "nbdcopy", nbds("alice", "default", keys), copy.toString()).ok();
        byte[] bytes = Files.readAllBytes(copy);
        assertThat(bytes).hasSize((int) (16 * MIB));
        for (int i = 0; i < bytes.length; i++) {
            byte expected = i >= MIB && i < 2 * MIB ? (byte) 0xa5 : 0;
            if (bytes[i] != expected) {
                throw new AssertionError("byte " + i + " is " + bytes[i] + ", expected " + expected);
            }
        }
    }

    @Test
    void aWrongKeyIsRefused() throws Exception {
        Path wrong = Files.writeString(dir.resolve("wrong.psk"), "alice:" + "0".repeat(64) + "\n");
        Proc.Result r = Proc.run(TIMEOUT, "nbdinfo", nbds("alice", "default", wrong));
        assertThat(r.exit()).as(r.describe()).isNotZero();
        assertThat(r.stdout()).doesNotContain("export-size");

        Path wrongDir = Files.createDirectories(dir.resolve("wrong"));
        Files.copy(wrong, wrongDir.resolve("keys.psk"));
        Proc.Result q = qemuIo("alice", wrongDir, "default", "read 0 4k");
        assertThat(q.exit()).as(q.describe()).isNotZero();
        assertThat(q.all()).doesNotContain("read 4096/4096");
    }

    @Test
    void thePskIdentityDrivesTheAllowList() {
        Proc.requireTool("qemu-io", "qemu-utils");
        Proc.Result alice = qemuIo("alice", aliceDir, "secret", "write -P 0x11 0 4k", "read -P 0x11 0 4k").ok();
        assertThat(alice.all()).as(alice.describe()).contains("read 4096/4096").doesNotContain("Pattern verification failed");

        Proc.Result bob = qemuIo("bob", bobDir, "secret", "read 0 4k");
        assertThat(bob.exit()).as(bob.describe()).isNotZero();
        assertThat(bob.all()).doesNotContain("read 4096/4096");
        Proc.Result bobInfo = Proc.run(TIMEOUT, "nbdinfo", nbds("bob", "secret", keys));
        assertThat(bobInfo.exit()).as(bobInfo.describe()).isNotZero();
        assertThat(bobInfo.stderr()).containsIgnoringCase("export");
    }
}
