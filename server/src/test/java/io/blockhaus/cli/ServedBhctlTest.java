package io.blockhaus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.server.InProcessServe;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * A whole server for one test class (serve in this JVM, both front ends, file volumes in a
 * temporary data directory), bhctl pointed at it, and a temporary directory for local files.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ServedBhctlTest {
    Path data;
    Path local;
    InProcessServe server;
    BhctlRunner bhctl;

    /** serve's options beyond the data directory and the listen addresses: the class's exports. */
    abstract String[] serveOptions();

    /** Files the exports need before serve starts (a read-only export's image, say). */
    void prepare(Path dataDir) throws Exception {
    }

    @BeforeAll
    final void startServer(@TempDir Path dataDir, @TempDir Path localDir) throws Exception {
        data = dataDir;
        local = localDir;
        prepare(dataDir);
        server = InProcessServe.start(dataDir, serveOptions());
        bhctl = new BhctlRunner(server.grpcTarget());
    }

    @AfterAll
    final void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    /** Runs bhctl and checks it exited 0. */
    BhctlRunner.Result ok(String... args) {
        return okWithInput(new byte[0], args);
    }

    BhctlRunner.Result okWithInput(byte[] stdin, String... args) {
        BhctlRunner.Result r = bhctl.runWithInput(stdin, args);
        assertThat(r.exit()).as(r.toString()).isZero();
        return r;
    }
}
