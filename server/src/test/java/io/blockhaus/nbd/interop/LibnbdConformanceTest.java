package io.blockhaus.nbd.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.DynamicContainer.dynamicContainer;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import io.blockhaus.engine.VolumeConfig;
import io.blockhaus.nbd.NbdTestServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every NBD command through libnbd (python3-libnbd), with structured replies and with simple
 * replies, on a memory and on a sparse-file volume: reads, writes (FUA), flush, trim, write
 * zeroes (NO_HOLE, FAST_ZERO), cache, block status (REQ_ONE), DF reads, the maximum block size
 * and one byte over it, out-of-range and read-only refusals with the errors the spec names, and
 * that the connection keeps serving after every error. The checks live in
 * {@code nbd_conformance.py}; each becomes one dynamic test here, so a failure names the check
 * and shows the script's detail.
 */
class LibnbdConformanceTest {
    private static final long MIB = 1 << 20;

    @TempDir
    Path dir;

    @TestFactory
    Stream<DynamicNode> everyCommandWithStructuredAndSimpleReplies() throws Exception {
        PyNbd.require();
        Path script = PyNbd.script(dir, "nbd_conformance.py");
        List<DynamicNode> nodes = new ArrayList<>();
        try (NbdTestServer s = NbdTestServer.builder()
                .cacheBytes(64 * MIB)
                .memory("mem", 64 * MIB)
                .file("file", dir.resolve("file.img"), 64 * MIB)
                .memory(VolumeConfig.of("ro").withReadOnly(true), 16 * MIB)
                .start()) {
            for (String export : List.of("mem", "file")) {
                for (boolean structured : List.of(true, false)) {
                    Map<String, Object> out = PyNbd.run(Duration.ofSeconds(120), script, s.uri(export), s.uri("ro"),
                            structured ? "1" : "0");
                    List<Object> results = Json.at(out, "results");
                    String label = export + (structured ? ", structured replies" : ", simple replies");
                    System.out.println(label + ": " + results);
                    List<DynamicNode> tests = new ArrayList<>();
                    tests.add(dynamicTest("ran every check", () -> assertThat(results).hasSizeGreaterThan(20)));
                    for (Object r : results) {
                        String name = Json.at(r, "name");
                        boolean ok = Json.at(r, "ok");
                        String detail = Json.at(r, "detail");
                        tests.add(dynamicTest(name, () -> assertThat(ok).as("%s [%s]: %s", name, label, detail).isTrue()));
                    }
                    nodes.add(dynamicContainer(label, tests));
                }
            }
        }
        return nodes.stream();
    }
}
