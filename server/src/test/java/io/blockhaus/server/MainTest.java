package io.blockhaus.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The command line as a user meets it: exit codes and messages. Only paths that end on their own run. */
class MainTest {

    @TempDir
    Path tmp;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    /** Runs with serve's stores coming from {@code stores} and no process-wide signal handlers. */
    private int run(StoreFactory stores, String... args) {
        CommandLine.IFactory factory = new CommandLine.IFactory() {
            @Override
            public <K> K create(Class<K> cls) throws Exception {
                if (cls == ServeCommand.class) {
                    return cls.cast(new ServeCommand(stores, false));
                }
                return CommandLine.defaultFactory().create(cls);
            }
        };
        CommandLine cmd = Main.commandLine(factory);
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        return cmd.execute(args);
    }

    private int run(String... args) {
        return run((file, size, ro) -> {
            throw new AssertionError("no store expected");
        }, args);
    }

    private String[] errLines() {
        return err.toString().lines().toArray(String[]::new);
    }

    @Test
    void versionAndHelpExitZero() {
        assertThat(run("--version")).isZero();
        assertThat(out.toString()).startsWith("blockhaus-server ").doesNotContain("${");
        assertThat(run("serve", "--help")).isZero();
        assertThat(out.toString()).contains("--data-dir", "--export", "Default: 256M", "Default: 127.0.0.1:10809");
        assertThat(err.toString()).isEmpty();
    }

    @Test
    void noCommandIsAUsageError() {
        assertThat(run()).isEqualTo(Main.EXIT_USAGE);
        assertThat(errLines()).containsExactly("blockhaus-server: missing command (try: blockhaus-server serve)",
                "Try 'blockhaus-server --help' for more information.");
    }

    @Test
    void aBadOptionIsAUsageErrorWithOneMessageAndAHint() {
        assertThat(run("serve", "--export", "name=a,colour=red")).isEqualTo(Main.EXIT_USAGE);
        assertThat(errLines()).hasSize(2);
        assertThat(errLines()[0]).startsWith("blockhaus-server serve: ").contains("unknown key 'colour'");
        assertThat(errLines()[1]).isEqualTo("Try 'blockhaus-server serve --help' for more information.");
    }

    @Test
    void configurationErrorsFoundAtStartAreUsageErrorsAndTouchNothing() {
        Path data = tmp.resolve("data");
        assertThat(run("serve", "--data-dir", data.toString(), "--export", "name=a,size=1M",
                "--export", "name=a,size=2M,path=b.img")).isEqualTo(Main.EXIT_USAGE);
        assertThat(errLines()[0]).isEqualTo("blockhaus-server serve: export name 'a' is given twice");
        assertThat(run("serve", "--data-dir", data.toString(), "--cache-size", "4K")).isEqualTo(Main.EXIT_USAGE);
        assertThat(err.toString()).contains("--cache-size: cache size 4096 is below the 64K minimum");
        assertThat(run("serve", "--data-dir", data.toString(), "--grpc-listen", "127.0.0.1:10809"))
                .isEqualTo(Main.EXIT_USAGE);
        assertThat(err.toString()).contains("cannot listen on the same address 127.0.0.1:10809");
        assertThat(data).doesNotExist();
    }

    @Test
    void s3ExportAndOptionErrorsAreUsageErrorsWithOneMessageEach() {
        Path data = tmp.resolve("data");
        assertThat(run("serve", "--data-dir", data.toString(), "--export", "name=a,store=s3,bucket=vols,path=a.img"))
                .isEqualTo(Main.EXIT_USAGE);
        assertThat(errLines()[0]).contains("path= names a file, but store=s3 keeps the volume in a bucket: drop one of them");
        err.getBuffer().setLength(0);
        assertThat(run("serve", "--data-dir", data.toString(), "--export", "name=a,bucket=vols")).isEqualTo(Main.EXIT_USAGE);
        assertThat(errLines()[0]).contains("bucket= is for volumes in object storage: add store=s3, or drop bucket=");
        err.getBuffer().setLength(0);
        assertThat(run("serve", "--data-dir", data.toString(), "--s3-lease", "6s", "--s3-request-timeout", "2s"))
                .isEqualTo(Main.EXIT_USAGE);
        assertThat(errLines()[0]).isEqualTo("blockhaus-server serve: --s3-lease 6000ms is too short for"
                + " --s3-request-timeout 2000ms: it must be at least 3 x timeout + 1s (7008ms)");
        err.getBuffer().setLength(0);
        assertThat(run("serve", "--data-dir", data.toString(), "--s3-max-pending", "1M",
                "--export", "name=a,store=s3,bucket=vols,size=1G")).isEqualTo(Main.EXIT_USAGE);
        assertThat(errLines()[0]).isEqualTo("blockhaus-server serve: export 'a': object size 4M is larger than --s3-max-pending 1M");
        err.getBuffer().setLength(0);
        assertThat(run("serve", "--data-dir", data.toString(), "--s3-endpoint", "ftp://host/")).isEqualTo(Main.EXIT_USAGE);
        assertThat(errLines()[0]).contains("'ftp://host/' is not an http:// or https:// URL with a host");
        assertThat(data).doesNotExist();
    }

    @Test
    void aRuntimeFailureIsOneLineAndExitOne() {
        Path data = tmp.resolve("data");
        int code = run((file, size, ro) -> {
            throw new UnsupportedOperationException("wired after store lands");
        }, "serve", "--metrics-listen", "127.0.0.1:0", "--data-dir", data.toString());
        assertThat(code).isEqualTo(Main.EXIT_FAILURE);
        assertThat(errLines()).containsExactly("blockhaus-server: error: cannot open the file of export 'default' ("
                + data.toAbsolutePath().resolve("default.img") + "): wired after store lands");
        assertThat(data).isDirectory();
        assertThat(out.toString()).isEmpty();
    }

    @Test
    void verbosePrintsTheStackTrace() {
        int code = run((file, size, ro) -> {
            throw new UnsupportedOperationException("wired after store lands");
        }, "serve", "--metrics-listen", "127.0.0.1:0", "--verbose", "--data-dir", tmp.toString());
        assertThat(code).isEqualTo(Main.EXIT_FAILURE);
        assertThat(errLines()[0]).startsWith("blockhaus-server: error: ");
        assertThat(err.toString()).contains("at io.blockhaus.server.VolumeRegistry.openAll");
    }

    @Test
    void theDataDirMustBeCreatable() throws Exception {
        Path file = Files.createFile(tmp.resolve("not-a-dir"));
        assertThat(run("serve", "--data-dir", file.resolve("data").toString())).isEqualTo(Main.EXIT_FAILURE);
        assertThat(errLines()).singleElement().asString().startsWith("blockhaus-server: error: cannot create the data directory");
    }

    @Test
    void aBusyMetricsPortIsOneLineAndOpensNothing() throws Exception {
        try (java.net.ServerSocket busy = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            int port = busy.getLocalPort();
            int code = run((file, size, ro) -> {
                throw new AssertionError("no volume may be opened");
            }, "serve", "--data-dir", tmp.toString(), "--metrics-listen", "127.0.0.1:" + port);
            assertThat(code).isEqualTo(Main.EXIT_FAILURE);
            assertThat(errLines()).singleElement().asString()
                    .startsWith("blockhaus-server: error: cannot listen for metrics on 127.0.0.1:" + port + ": ");
        }
    }
}
