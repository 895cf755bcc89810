package io.blockhaus.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.blockhaus.tls.TestPki;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code serve} with the TLS options: every start-up problem with the key material is one message
 * and exit 2 before anything is opened or created; with good material the NBD port serves TLS and
 * the exports' {@code allow=} lists.
 */
class ServeTlsTest {
    @TempDir
    static Path dir;
    private static TestPki pki;
    private static TestPki.Issued server;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @BeforeAll
    static void pki() {
        pki = TestPki.create(dir.resolve("ca"), "Test CA");
        server = pki.server("server");
    }

    private int serve(String... options) {
        CommandLine cmd = Main.commandLine(new CommandLine.IFactory() {
            @Override
            public <K> K create(Class<K> cls) throws Exception {
                if (cls == ServeCommand.class) {
                    return cls.cast(new ServeCommand((file, size, ro) -> {
                        throw new AssertionError("nothing may be opened");
                    }, false));
                }
                return CommandLine.defaultFactory().create(cls);
            }
        });
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        List<String> args = new ArrayList<>(List.of("serve", "--data-dir", dir.resolve("data").toString(),
                "--nbd-listen", "127.0.0.1:0", "--grpc-listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0"));
        args.addAll(List.of(options));
        return cmd.execute(args.toArray(String[]::new));
    }

    /** Exit 2, the message as the first of two lines (the second the usual hint), nothing created. */
    private void assertRefused(String message, String... options) {
        err.getBuffer().setLength(0);
        assertThat(serve(options)).as("%s", err).isEqualTo(Main.EXIT_USAGE);
        String[] lines = err.toString().lines().toArray(String[]::new);
        assertThat(lines).hasSize(2);
        assertThat(lines[0]).startsWith("blockhaus-server serve: ").contains(message);
        assertThat(dir.resolve("data")).doesNotExist();
    }

    @Test
    void optionCombinationsThatCannotWorkAreUsageErrors() {
        assertRefused("--tls on needs --tls-cert and --tls-key (or --tls-psk)", "--tls", "on");
        assertRefused("need --tls on or --tls require", "--tls-cert", server.cert().toString());
        assertRefused("--tls-verify-peer needs --tls-ca", "--tls", "require", "--tls-cert", server.cert().toString(),
                "--tls-key", server.key().toString(), "--tls-verify-peer");
        assertRefused("--tls-psk replaces certificates", "--tls", "on", "--tls-psk", "k.psk", "--tls-cert",
                server.cert().toString());
        assertRefused("TLS mode 'maybe': use off, on or require", "--tls", "maybe");
    }

    @Test
    void aWrongPathAnExpiredCertificateAForeignKeyAndAMalformedPskFileStopTheStart() throws Exception {
        Path none = dir.resolve("none.pem");
        assertRefused("--tls-cert " + none + ": no such file", "--tls", "on", "--tls-cert", none.toString(),
                "--tls-key", server.key().toString());
        TestPki.Issued expired = pki.serverValid("expired", LocalDateTime.of(2019, 1, 1, 0, 0),
                LocalDateTime.of(2020, 1, 1, 0, 0));
        assertRefused("expired on 2020-01-01", "--tls", "on", "--tls-cert", expired.cert().toString(),
                "--tls-key", expired.key().toString());
        TestPki.Issued future = pki.serverValid("future", LocalDateTime.now().plusYears(1),
                LocalDateTime.now().plusYears(2));
        assertRefused("is not valid before", "--tls", "on", "--tls-cert", future.cert().toString(),
                "--tls-key", future.key().toString());
        assertRefused("is not the key of the certificate", "--tls", "on", "--tls-cert", server.cert().toString(),
                "--tls-key", expired.key().toString());
        Path psk = Files.writeString(dir.resolve("bad.psk"), "alice=00112233445566778899aabbccddeeff\n");
        assertRefused("--tls-psk " + psk + " line 1: expected identity:hexkey, found no ':'", "--tls", "require",
                "--tls-psk", psk.toString());
        assertRefused("--tls-ca " + server.key() + ": no certificate in the file", "--tls", "on", "--tls-cert",
                server.cert().toString(), "--tls-key", server.key().toString(), "--tls-ca", server.key().toString());
        assertRefused("key 'allow' needs a value", "--export", "name=a,size=1M,allow=");
        assertRefused("allow=: empty identity", "--export", "name=a,size=1M,allow=alice;;bob");
    }

    @Test
    void withGoodMaterialTheNbdPortServesTlsAndTheAllowLists() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/nbdinfo")), "nbdinfo not installed (libnbd-bin): skipped");
        Path alice = TestPki.clientDir(dir.resolve("alice"), pki.caCert(), pki.client("alice"));
        Path bob = TestPki.clientDir(dir.resolve("bob"), pki.caCert(), pki.client("bob"));
        try (InProcessServe s = InProcessServe.start(dir.resolve("served"), "--metrics-listen", "127.0.0.1:0",
                "--tls", "require", "--tls-cert", server.cert().toString(), "--tls-key", server.key().toString(),
                "--tls-ca", pki.caCert().toString(), "--tls-verify-peer",
                "--export", "name=open,size=1M", "--export", "name=secret,size=1M,allow=alice;carol")) {
            String base = "nbds://127.0.0.1:" + s.nbdPort() + "/?tls-certificates=";
            assertThat(TestPki.run("nbdinfo", "--list", "--json", base + alice))
                    .contains("\"export-name\": \"open\"", "\"export-name\": \"secret\"");
            assertThat(TestPki.run("nbdinfo", "--list", "--json", base + bob))
                    .contains("\"export-name\": \"open\"").doesNotContain("secret");
        }
    }
}
