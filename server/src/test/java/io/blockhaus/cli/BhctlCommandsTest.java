package io.blockhaus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Every plain bhctl command against a whole server (serve in this JVM, both front ends, file
 * volumes), each one's output read back and checked against what the server then holds.
 * import/export, dio-from-mapping, bench and the error paths have their own classes.
 */
class BhctlCommandsTest extends ServedBhctlTest {



    @Override
    String[] serveOptions() {
        return new String[] {"--export", "name=fixed,size=1M"};
    }

    @Test
    void volumeLifecycleCreateListResizeTruncateDelete() {
        assertThat(TextOutput.fields(ok("create", "life", "8M").out())).containsEntry("size_bytes", "8388608")
                .containsEntry("lock", "two-state").containsEntry("origin", "api");
        List<Map<String, String>> volumes = TextOutput.table(ok("volumes").out(), "name");
        assertThat(volumes).anySatisfy(v -> assertThat(v).containsEntry("name", "life")
                .containsEntry("size_bytes", "8388608").containsEntry("io", "buffered"));
        assertThat(volumes).anySatisfy(v -> assertThat(v).containsEntry("name", "fixed").containsEntry("origin", "config"));

        assertThat(TextOutput.fields(ok("resize", "life", "4M").out())).containsEntry("size_bytes", "4194304");
        assertThat(TextOutput.fields(ok("truncate", "life", "12M").out())).containsEntry("size_bytes", "12582912");
        assertThat(TextOutput.fields(ok("stat", "life").out())).containsEntry("size_bytes", "12582912")
                .containsEntry("page_size", "4096").containsEntry("read_only", "false");

        assertThat(TextOutput.fields(ok("delete", "life").out())).containsEntry("deleted", "life");
        assertThat(TextOutput.table(ok("volumes").out(), "name")).noneSatisfy(v -> assertThat(v).containsEntry("name", "life"));
        BhctlRunner.Result again = bhctl.run("delete", "life");
        assertThat(again.exit()).as(again.toString()).isEqualTo(1);
        assertThat(again.stderr()).contains("ENOENT");
    }

    @Test
    void writeReadBufferedAndDirectThroughStdinStdoutAndFiles() throws Exception {
        ok("create", "rw", "1M");
        byte[] hello = "hello bhctl".getBytes(StandardCharsets.UTF_8);
        assertThat(TextOutput.fields(okWithInput(hello, "write", "rw", "4K").out())).containsEntry("bytes_written", "11")
                .containsEntry("offset", "4096").containsEntry("mode", "buffered");
        assertThat(ok("read", "rw", "4K", "11").stdout()).isEqualTo(hello);

        Path in = local.resolve("in.bin");
        byte[] direct = new byte[8192];
        new java.util.SplittableRandom(7).nextBytes(direct);
        Files.write(in, direct);
        assertThat(TextOutput.fields(ok("write", "rw", "8K", "--direct", "--fua", "--in", in.toString()).out()))
                .containsEntry("bytes_written", "8192").containsEntry("mode", "direct").containsEntry("fua", "true");
        Path out = local.resolve("out.bin");
        assertThat(TextOutput.fields(ok("read", "rw", "8K", "8K", "--direct", "--out", out.toString()).out()))
                .containsEntry("bytes_read", "8192");
        assertThat(Files.readAllBytes(out)).isEqualTo(direct);

        // flush leaves nothing dirty; stat shows the cache's view
        assertThat(TextOutput.fields(ok("flush", "rw").out())).containsEntry("flushed", "true")
                .containsEntry("dirty_pages_after", "0");
        assertThat(TextOutput.fields(ok("stat", "rw").out())).containsEntry("dirty_pages", "0");
    }

    @Test
    void blockStatusFallocateAndFadviseShowAndChangeTheAllocation() {
        ok("create", "alloc", "1M");
        okWithInput(new byte[] {1, 2, 3}, "write", "alloc", "4K");
        okWithInput(new byte[] {4, 5, 6}, "write", "alloc", "8K");
        List<Map<String, String>> extents = TextOutput.table(ok("block-status", "alloc", "0", "16K").out(), "offset");
        assertThat(typeAt(extents, 0)).isEqualTo("hole");
        assertThat(typeAt(extents, 4096)).isEqualTo("data");
        assertThat(typeAt(extents, 8192)).isEqualTo("data");
        assertThat(typeAt(extents, 12288)).isEqualTo("hole");

        assertThat(TextOutput.fields(ok("fallocate", "alloc", "punch-hole", "4K", "4K").out()))
                .containsEntry("mode", "punch-hole").containsEntry("length", "4096");
        assertThat(ok("read", "alloc", "4K", "3").stdout()).containsExactly(0, 0, 0);
        ok("flush", "alloc");
        extents = TextOutput.table(ok("block-status", "alloc", "0", "16K").out(), "offset");
        assertThat(typeAt(extents, 4096)).isEqualTo("hole");
        assertThat(typeAt(extents, 8192)).isEqualTo("data");

        assertThat(TextOutput.fields(ok("fallocate", "alloc", "zero-range", "8K", "4K").out()))
                .containsEntry("mode", "zero-range");
        assertThat(ok("read", "alloc", "8K", "3").stdout()).containsExactly(0, 0, 0);

        assertThat(TextOutput.fields(ok("fadvise", "alloc", "willneed", "0", "64K").out()))
                .containsEntry("advice", "willneed").containsEntry("length", "65536");
        assertThat(TextOutput.fields(ok("fadvise", "alloc", "dontneed", "0", "0").out())).containsEntry("advice", "dontneed");
    }

    private static String typeAt(List<Map<String, String>> extents, long offset) {
        return extents.stream().filter(e -> Long.parseLong(e.get("offset")) <= offset
                && offset < Long.parseLong(e.get("offset")) + Long.parseLong(e.get("length")))
                .map(e -> e.get("type")).findFirst().orElseThrow(() -> new AssertionError(offset + " not in " + extents));
    }

    @Test
    void faultReadsThroughAMappingAndWriteFaultsStore() throws Exception {
        ok("create", "mapped", "1M");
        okWithInput("ABCDEF".getBytes(StandardCharsets.UTF_8), "write", "mapped", "8K");
        Map<String, String> read = TextOutput.fields(ok("fault", "mapped", "8K").out());
        assertThat(read).containsEntry("kind", "read").containsEntry("page_offset", "8192")
                .containsEntry("first_bytes", "41 42 43 44 45 46 00 00 00 00 00 00 00 00 00 00");
        // the server's fault-around brings more than the one page into a 64K window
        assertThat(Integer.parseInt(read.get("pages_brought"))).isGreaterThan(1).isLessThanOrEqualTo(16);

        Path in = local.resolve("fault.bin");
        byte[] bytes = new byte[6000]; // 20000..26000 crosses two page boundaries: three write faults
        java.util.Arrays.fill(bytes, (byte) 'z');
        Files.write(in, bytes);
        assertThat(TextOutput.fields(ok("fault", "mapped", "20000", "--write", "--in", in.toString()).out()))
                .containsEntry("kind", "write").containsEntry("bytes_stored", "6000").containsEntry("write_faults", "3");
        assertThat(ok("read", "mapped", "20000", "6000").stdout()).isEqualTo(bytes);
    }

    @Test
    void locksShowsBothModesOfEveryVolumeOrOne() {
        ok("create", "locked", "1M");
        okWithInput(new byte[] {9}, "write", "locked", "0");
        okWithInput(new byte[] {9}, "write", "locked", "4K", "--direct");
        List<Map<String, String>> one = TextOutput.table(ok("locks", "locked").out(), "volume");
        assertThat(one).extracting(r -> r.get("mode")).containsExactly("ADD", "BLOCK");
        assertThat(one).allSatisfy(r -> assertThat(r).containsEntry("volume", "locked").containsEntry("policy", "two-state")
                .containsEntry("holders", "0"));
        // a buffered write takes ADD, a direct one BLOCK
        assertThat(one).allSatisfy(r -> assertThat(Long.parseLong(r.get("acquisitions"))).isPositive());
        List<Map<String, String>> all = TextOutput.table(ok("locks").out(), "volume");
        assertThat(all).extracting(r -> r.get("volume")).contains("locked", "fixed");
    }

    @Test
    void everyCommandHasHelpAndCompletionIsGenerated() {
        CommandLine cl = new CommandLine(new Bhctl());
        assertThat(cl.getSubcommands().keySet()).contains("volumes", "create", "delete", "resize", "stat", "read", "write",
                "fallocate", "fadvise", "truncate", "flush", "fault", "dio-from-mapping", "block-status", "locks",
                "import", "export", "bench", "generate-completion");
        for (String name : cl.getSubcommands().keySet()) {
            BhctlRunner.Result r = ok(name, "--help");
            assertThat(r.out()).as(name).contains("Usage: bhctl " + name).contains("--server");
        }
        String completion = ok("generate-completion").out();
        assertThat(completion).contains("complete -F").contains("dio-from-mapping").contains("punch-hole");
    }
}
