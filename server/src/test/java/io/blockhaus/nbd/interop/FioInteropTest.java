package io.blockhaus.nbd.interop;

import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.engine.IoMode;
import io.blockhaus.engine.VolumeConfig;
import io.blockhaus.nbd.NbdTestServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * fio's nbd engine (libnbd) with crc32c verification: two jobs, each on its own 16 MiB region
 * (offset_increment), 32 requests in flight each, writes then a verify pass, from 4 KiB to 1 MiB
 * blocks, against buffered and direct-I/O exports (whose reads from 64 KiB are sent from the
 * file, as large buffered ones are). fio must exit 0 and report no errors.
 */
class FioInteropTest {
    private static final long MIB = 1 << 20;

    @TempDir
    Path dir;

    @BeforeEach
    void tools() {
        Proc.requireTool("fio", "fio");
    }

    @ParameterizedTest(name = "fio {0} {1} bs={2}")
    @CsvSource({"buffered, randwrite, 4k", "buffered, randwrite, 256k", "direct, randwrite, 64k",
            "buffered, write, 1m", "direct, write, 1m"})
    void writeThenVerify(String io, String rw, String bs) throws Exception {
        VolumeConfig vc = VolumeConfig.of("default").withIo(io.equals("direct") ? IoMode.DIRECT : IoMode.BUFFERED);
        try (NbdTestServer s = NbdTestServer.builder().cacheBytes(32 * MIB)
                .file(vc, dir.resolve("fio.img"), 64 * MIB).start()) {
            Proc.Result r = Proc.run(Duration.ofSeconds(120), dir, List.of("fio", "--output-format=json", "--name=nbdverify",
                    "--ioengine=nbd", "--uri=" + s.uri("default"), "--rw=" + rw, "--bs=" + bs, "--iodepth=32",
                    "--numjobs=2", "--size=16M", "--offset_increment=16M", "--verify=crc32c", "--do_verify=1",
                    "--verify_fatal=1", "--verify_state_save=0", "--randrepeat=1", "--group_reporting=0")).ok();
            assertThat(r.stderr()).as(r.describe()).doesNotContain("verify").doesNotContain("bad magic");
            String json = r.stdout().substring(r.stdout().indexOf('{'));
            List<Object> jobs = Json.at(Json.parse(json), "jobs");
            assertThat(jobs).as(r.describe()).hasSize(2);
            for (Object job : jobs) {
                Map<String, Object> j = (Map<String, Object>) job;
                assertThat(j.get("error")).as("fio job error in %s", r.stdout()).isEqualTo(0L);
                assertThat((Long) Json.at(j, "write", "io_bytes")).as("bytes written").isEqualTo(16 * MIB);
                assertThat((Long) Json.at(j, "read", "io_bytes")).as("bytes read back for verification")
                        .isEqualTo(16 * MIB);
            }
        }
    }
}
