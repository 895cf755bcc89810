package io.blockhaus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * import and export of a 64 MiB image with holes: byte for byte, and the holes stay holes on the
 * volume (its block status) and in the exported file (SEEK_DATA/SEEK_HOLE, as the original's).
 * The progress bar: drawn under a pseudo-terminal (util-linux script), absent when piped.
 */
class BhctlImportExportTest extends ServedBhctlTest {
    private static final long MIB = 1 << 20;
    private static final long SIZE = 64 * MIB;
    /** The image's data ranges (offset, length); everything else is a hole. */
    private static final long[][] DATA = {{0, MIB}, {5 * MIB + 4096, 4096}, {20 * MIB, 3 * MIB},
        {40 * MIB + 12288, 53248}, {SIZE - 4096, 4096}};



    private Path image;

    @Override
    String[] serveOptions() {
        return new String[] {"--export", "name=img,size=64M"};
    }

    @BeforeAll
    void writeImage() throws Exception {
        long seed = System.nanoTime();
        System.out.println("image seed " + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        image = local.resolve("image.raw");
        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
            f.setLength(SIZE);
            for (long[] r : DATA) {
                byte[] b = new byte[(int) r[1]];
                rnd.nextBytes(b);
                f.getChannel().write(ByteBuffer.wrap(b), r[0]);
            }
        }
        assertThat(dataRanges(image)).as("the test image is sparse on this filesystem").isEqualTo(expected());
    }

    private static List<LocalExtents.Range> expected() {
        List<LocalExtents.Range> out = new ArrayList<>();
        for (long[] r : DATA) {
            out.add(new LocalExtents.Range(r[0], r[1]));
        }
        return out;
    }

    private static List<LocalExtents.Range> dataRanges(Path file) throws Exception {
        return LocalExtents.data(file, Files.size(file));
    }

    @Test
    void anImageWithHolesRoundTripsByteForByteAndKeepsItsHoles() throws Exception {
        long dataBytes = expected().stream().mapToLong(LocalExtents.Range::length).sum();
        // old bytes where the image has a hole: import must punch them, not skip them
        assertThat(bhctl.runWithInput(new byte[4096], "write", "img", "30M").exit()).isZero();
        assertThat(bhctl.runWithInput("stale".getBytes(StandardCharsets.UTF_8), "write", "img", "30M").exit()).isZero();

        BhctlRunner.Result in = ok("import", image.toString(), "img");
        assertThat(TextOutput.fields(in.out())).containsEntry("bytes", String.valueOf(SIZE))
                .containsEntry("data_bytes", String.valueOf(dataBytes))
                .containsEntry("hole_bytes", String.valueOf(SIZE - dataBytes)).containsEntry("data_extents", "5");
        assertThat(in.stderr()).as("no progress bar into a pipe").doesNotContain("\r").doesNotContain("[#");

        // the volume's allocation is the image's
        List<LocalExtents.Range> onVolume = new ArrayList<>();
        for (JsonElement e : JsonParser.parseString(ok("block-status", "img", "0", "64M", "-o", "json").out())
                .getAsJsonObject().getAsJsonArray("extents")) {
            var x = e.getAsJsonObject();
            if (x.get("type").getAsString().equals("data")) {
                add(onVolume, x.get("offset").getAsLong(), x.get("length").getAsLong());
            }
        }
        assertThat(onVolume).isEqualTo(expected());

        Path out = local.resolve("exported.raw");
        Files.write(out, new byte[(int) MIB]); // an existing file's blocks must not survive where the volume has holes
        BhctlRunner.Result ex = ok("export", "img", out.toString());
        assertThat(TextOutput.fields(ex.out())).containsEntry("bytes", String.valueOf(SIZE))
                .containsEntry("data_bytes", String.valueOf(dataBytes));
        assertThat(ex.stderr()).doesNotContain("\r");
        assertThat(Files.size(out)).isEqualTo(SIZE);
        assertThat(Files.mismatch(image, out)).as("first differing byte").isEqualTo(-1L);
        assertThat(dataRanges(out)).as("the export's holes").isEqualTo(expected());
    }

    /** Appends {@code [offset, offset+length)}, merged with the last range when they touch. */
    private static void add(List<LocalExtents.Range> ranges, long offset, long length) {
        if (!ranges.isEmpty() && ranges.getLast().end() == offset) {
            LocalExtents.Range last = ranges.removeLast();
            ranges.add(new LocalExtents.Range(last.offset(), last.length() + length));
        } else {
            ranges.add(new LocalExtents.Range(offset, length));
        }
    }

    @Test
    void theProgressBarIsDrawnOnATerminalOnly() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/script")),
                "util-linux script not installed (apt-get install bsdutils): progress on a terminal not checked");
        List<String> cmd = bhctlProcess("import", image.toString(), "tty", "--create");
        StringBuilder line = new StringBuilder();
        cmd.forEach(a -> line.append('\'').append(a.replace("'", "'\\''")).append("' "));
        String onTerminal = runProcess(List.of("/usr/bin/script", "-qefc", line.toString(), "/dev/null"));
        assertThat(onTerminal).contains("\rimport [").contains("] 100% 64.0MiB/64.0MiB").contains("data bytes:");

        String piped = runProcess(bhctlProcess("import", image.toString(), "piped", "--create"));
        assertThat(piped).contains("data bytes:").doesNotContain("\r").doesNotContain("import [");
    }

    /** bhctl in a JVM of its own, on this test's classpath. */
    private List<String> bhctlProcess(String... args) {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
                "-cp", System.getProperty("java.class.path"), Bhctl.class.getName(), "--server", server.grpcTarget()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** Runs a process to its end (at most 2 minutes), both streams into one; fails unless it exits 0. */
    private static String runProcess(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(
                new java.io.File("/dev/null"))).start();
        byte[] all = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        String text = new String(all, StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(text).isZero();
        return text;
    }
}
