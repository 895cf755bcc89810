package io.blockhaus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Exit codes: 2 with a message and the usage for bad arguments, 1 naming the errno for a refused operation. */
class BhctlErrorsTest extends ServedBhctlTest {


    @Override
    void prepare(Path dataDir) throws Exception {
        Files.write(dataDir.resolve("ro.img"), new byte[64 << 10]);
    }

    @Override
    String[] serveOptions() {
        return new String[] {"--export", "name=rw,size=1M", "--export", "name=ro,readonly"};
    }

    private void usageError(String expectedMessage, String usageOf, String... args) {
        BhctlRunner.Result r = bhctl.run(args);
        assertThat(r.exit()).as(r.toString()).isEqualTo(2);
        assertThat(r.stderr()).as(r.toString()).contains(expectedMessage).contains("Usage: bhctl " + usageOf);
        assertThat(r.stdout()).isEmpty();
    }

    @Test
    void badArgumentsExitTwoWithTheMessageAndTheUsage() {
        usageError("Missing required parameter: 'LENGTH'", "read", "read", "rw", "0");
        usageError("'12Q' is not a size", "create", "create", "x", "12Q");
        usageError("'sideways' is not one of punch-hole, zero-range, allocate, collapse-range, insert-range",
                "fallocate", "fallocate", "rw", "sideways", "0", "4K");
        usageError("'later' is not one of normal, sequential, random, willneed, dontneed, noreuse", "fadvise",
                "fadvise", "rw", "later", "0", "0");
        usageError("Unknown option: '--sideways'", "stat", "stat", "rw", "--sideways");
        usageError("Unmatched argument at index 2: 'frobnicate'", "", "frobnicate");
        usageError("Missing required option: '--source=VOLUME:OFFSET'", "dio-from-mapping", "dio-from-mapping", "rw",
                "0", "4K");
        usageError("'rw' is not VOLUME:OFFSET", "dio-from-mapping", "dio-from-mapping", "rw", "0", "4K", "--source", "rw");
        usageError("'bogus' is not a duration", "bench", "bench", "rw", "--duration", "bogus");
        usageError("a command is required", "", new String[0]);
        // found while running, not while parsing: still a usage error
        usageError("--in goes with --write", "fault", "fault", "rw", "0", "--in", "/dev/null");
    }

    @Test
    void aRefusedOperationExitsOneNamingTheErrno() {
        BhctlRunner.Result pastEnd = bhctl.run("read", "rw", "1M", "1");
        assertThat(pastEnd.exit()).as(pastEnd.toString()).isEqualTo(1);
        assertThat(pastEnd.stderr()).startsWith("bhctl read: EINVAL: ").contains("past the end");
        assertThat(pastEnd.stdout()).isEmpty();

        BhctlRunner.Result readOnly = bhctl.runWithInput(new byte[] {1}, "write", "ro", "0");
        assertThat(readOnly.exit()).as(readOnly.toString()).isEqualTo(1);
        assertThat(readOnly.stderr()).startsWith("bhctl write: EROFS: ");

        BhctlRunner.Result missing = bhctl.run("stat", "nosuch");
        assertThat(missing.exit()).as(missing.toString()).isEqualTo(1);
        assertThat(missing.stderr()).startsWith("bhctl stat: ENOENT: ");

        BhctlRunner.Result noFile = bhctl.run("import", data.resolve("no-such.img").toString(), "rw");
        assertThat(noFile.exit()).as(noFile.toString()).isEqualTo(1);
        assertThat(noFile.stderr()).startsWith("bhctl import: ENOENT: local file: ").contains("no-such.img");

        BhctlRunner.Result exists = bhctl.run("create", "rw", "1M");
        assertThat(exists.exit()).as(exists.toString()).isEqualTo(1);
        assertThat(exists.stderr()).startsWith("bhctl create: EEXIST: ");
    }

    @Test
    void aServerAddressWithNothingBehindItFailsWithinSecondsSayingSo() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort(); // closed again: nothing listens there now
        }
        BhctlRunner nowhere = new BhctlRunner("127.0.0.1:" + port);
        long t0 = System.nanoTime();
        BhctlRunner.Result r = nowhere.run("volumes");
        long took = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0);
        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.stderr()).startsWith("bhctl volumes: ECONNREFUSED: no Blockhaus server reachable at 127.0.0.1:" + port);
        assertThat(took).as("seconds to fail").isLessThan(10);
    }
}
