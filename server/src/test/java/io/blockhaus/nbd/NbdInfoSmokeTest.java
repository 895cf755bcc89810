package io.blockhaus.nbd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class NbdInfoSmokeTest {

    @Test
    void nbdinfoSeesTheExport() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/nbdinfo")), "nbdinfo not installed (apt-get install libnbd-bin): skipped");
        try (NbdTestServer s = NbdTestServer.memory(64L << 20)) {
            Process p = new ProcessBuilder("nbdinfo", "--json", s.uri("default")).redirectErrorStream(true).start();
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            System.out.println(out);
            assertThat(p.exitValue()).as(out).isZero();
            assertThat(out).contains("\"export-size\": 67108864").contains("base:allocation");
        }
    }
}
