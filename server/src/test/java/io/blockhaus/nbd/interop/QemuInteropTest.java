package io.blockhaus.nbd.interop;

import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.nbd.NbdTestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * qemu's NBD client (qemu 7.2 block layer) against the server: qemu-io pattern writes, zero
 * writes and discards verified with {@code read -P}; {@code qemu-img compare} of the export with a
 * local image of the same content; {@code qemu-img convert} into the export and out of it.
 * qemu-io exits 0 even when a pattern check fails, so its output is searched for the failure.
 */
class QemuInteropTest {
    private static final long MIB = 1 << 20;
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final String MISMATCH = "Pattern verification failed";

    @TempDir
    Path dir;

    @BeforeEach
    void tools() {
        Proc.requireTool("qemu-io", "qemu-utils");
        Proc.requireTool("qemu-img", "qemu-utils");
    }

    private static Proc.Result qemuIo(String target, String... commands) {
        List<String> c = new ArrayList<>(List.of("qemu-io", "-f", "raw"));
        for (String cmd : commands) {
            c.add("-c");
            c.add(cmd);
        }
        c.add(target);
        Proc.Result r = Proc.run(TIMEOUT, null, c).ok();
        assertThat(r.all()).as(r.describe()).doesNotContain(MISMATCH).doesNotContainIgnoringCase("error")
                .doesNotContain("failed");
        return r;
    }

    private static final String[] WRITES = {
        "write -P 0xab 0 1M", "write -P 0xcd 1M 512", "write -P 0x11 3M 4k", "write -P 0x22 5000 3000",
        "write -z 4M 1M", "write -P 0x33 6M 2M", "discard 7M 512k", "aio_write -P 0x44 9M 64k", "aio_flush",
        "write -f -P 0x55 10M 128k" /* FUA */, "flush"};
    private static final String[] READS = {
        "read -P 0xab 0 5000", "read -P 0x22 5000 3000", "read -P 0xab 8000 1040576", "read -P 0xcd 1M 512",
        "read -P 0 1049088 2096640", "read -P 0x11 3M 4k", "read -P 0 4M 1M", "read -P 0x33 6M 1M",
        "read -P 0x33 7680k 512k", "read -P 0 7M 512k", "read -P 0x44 9M 64k", "read -P 0x55 10M 128k",
        "read -P 0 11M 5M"};

    @Test
    void patternsWrittenByQemuIoReadBackExactly() throws Exception {
        try (NbdTestServer s = NbdTestServer.builder().memory("default", 16 * MIB).start()) {
            qemuIo(s.uri("default"), WRITES);
            Proc.Result r = qemuIo(s.uri("default"), READS); // a new connection: nothing cached client-side
            assertThat(r.stdout()).contains("read 131072/131072 bytes");
        }
    }

    @Test
    void patternMismatchIsDetected() throws Exception {
        // Proves that the absence of MISMATCH above means something.
        try (NbdTestServer s = NbdTestServer.builder().memory("default", 16 * MIB).start()) {
            qemuIo(s.uri("default"), "write -P 0xab 0 64k");
            List<String> c = List.of("qemu-io", "-f", "raw", "-c", "read -P 0xac 0 64k", s.uri("default"));
            Proc.Result r = Proc.run(TIMEOUT, null, c);
            assertThat(r.all()).as(r.describe()).contains(MISMATCH);
        }
    }

    @Test
    void qemuImgCompareAndConvert() throws Exception {
        Path local = dir.resolve("local.img");
        Proc.run(TIMEOUT, "qemu-img", "create", "-f", "raw", local.toString(), "16M").ok();
        try (NbdTestServer s = NbdTestServer.builder().memory("default", 16 * MIB).memory("copy", 32 * MIB)
                .file("file", dir.resolve("file.img"), 16 * MIB).start()) {
            qemuIo(local.toString(), WRITES);
            qemuIo(s.uri("default"), WRITES);
            Proc.run(TIMEOUT, "qemu-img", "compare", "-f", "raw", "-F", "raw", local.toString(), s.uri("default")).ok();

            // One byte different: compare must notice (exit 1), or the check above proves nothing.
            qemuIo(s.uri("default"), "write -P 0x99 12345 1");
            Proc.Result diff = Proc.run(TIMEOUT, "qemu-img", "compare", "-f", "raw", "-F", "raw", local.toString(),
                    s.uri("default"));
            assertThat(diff.exit()).as(diff.describe()).isEqualTo(1);
            assertThat(diff.stdout()).contains("Content mismatch at offset 12288"); // qemu reports the 512-byte sector

            // convert a seeded random image into a file-backed export, then out again
            Path src = Images.random(dir.resolve("src.img"), 16 * MIB, Images.seed());
            Proc.run(TIMEOUT, "qemu-img", "convert", "-n", "-f", "raw", "-O", "raw", src.toString(), s.uri("file")).ok();
            Proc.run(TIMEOUT, "qemu-img", "compare", "-f", "raw", "-F", "raw", src.toString(), s.uri("file")).ok();
            Path out = dir.resolve("out.img");
            Proc.run(TIMEOUT, "qemu-img", "convert", "-f", "raw", "-O", "raw", s.uri("file"), out.toString()).ok();
            assertThat(Files.mismatch(src, out)).as("converted out of the export").isEqualTo(-1);

            // strict compare (-s) against a bigger export: the tail must read as zeroes
            Proc.run(TIMEOUT, "qemu-img", "convert", "-n", "-f", "raw", "-O", "raw", src.toString(), s.uri("copy")).ok();
            Proc.run(TIMEOUT, "qemu-img", "compare", "-f", "raw", "-F", "raw", src.toString(), s.uri("copy")).ok();
        }
    }
}
