package io.blockhaus.nbd.interop;

import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.nbd.NbdTestServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * libnbd's {@code nbdcopy} copies a seeded random image (with zero stretches) into an export and
 * back out, and {@code cmp} finds both copies identical; for a file-backed volume the backing
 * file itself is identical after nbdcopy's flush. Connection and request-queue variations
 * exercise multi-conn and deep pipelining.
 */
class NbdCopyInteropTest {
    private static final long MIB = 1 << 20;
    private static final Duration TIMEOUT = Duration.ofSeconds(120);

    @TempDir
    Path dir;

    @BeforeEach
    void tools() {
        Proc.requireTool("nbdcopy", "libnbd-bin");
        Proc.requireTool("cmp", "diffutils");
    }

    private static void cmp(Path a, Path b) {
        Proc.Result r = Proc.run(TIMEOUT, "cmp", a.toString(), b.toString());
        assertThat(r.exit()).as("cmp %s %s: %s", a, b, r.all()).isZero();
    }

    @Test
    void copyIn256MiBAndOutAgainFileBacked() throws Exception {
        long size = 256 * MIB;
        Path src = Images.random(dir.resolve("src.img"), size, Images.seed());
        Path backing = dir.resolve("backing.img");
        Path out = dir.resolve("out.img");
        try (NbdTestServer s = NbdTestServer.builder().cacheBytes(64 * MIB).file("default", backing, size).start()) {
            Proc.run(TIMEOUT, "nbdcopy", "--flush", src.toString(), s.uri("default")).ok();
            cmp(src, backing); // flushed: the backing file itself holds the image
            Proc.run(TIMEOUT, "nbdcopy", s.uri("default"), out.toString()).ok();
            cmp(src, out);
        }
    }

    @ParameterizedTest(name = "nbdcopy {0}")
    @ValueSource(strings = {"--connections=1 --requests=1", "--connections=4 --requests=64",
            "--connections=2 --requests=16 --request-size=4194304", "--synchronous", "--connections=4 --no-extents"})
    void copyVariations(String options) throws Exception {
        long size = 64 * MIB;
        Path src = Images.random(dir.resolve("src.img"), size, Images.seed());
        Path out = dir.resolve("out.img");
        try (NbdTestServer s = NbdTestServer.builder().cacheBytes(32 * MIB).memory("default", size).start()) {
            Proc.run(TIMEOUT, null, command(options, src.toString(), s.uri("default"))).ok();
            Proc.run(TIMEOUT, null, command(options, s.uri("default"), out.toString())).ok();
            cmp(src, out);
        }
    }

    private static List<String> command(String options, String from, String to) {
        List<String> c = new ArrayList<>(List.of("nbdcopy"));
        c.addAll(List.of(options.split(" ")));
        c.add(from);
        c.add(to);
        return c;
    }
}
