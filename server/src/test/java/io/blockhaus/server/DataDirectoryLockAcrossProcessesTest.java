package io.blockhaus.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.testing.ChildJvm;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real servers in processes of their own on one data directory: the second is refused at once
 * with the first's pid; after the first stops (SIGTERM) a new one starts; after that one is
 * killed with SIGKILL in the middle of its warm-up, the kernel has released its lock, so the
 * next one starts too and removes the scratch directory the killed warm-up left.
 */
class DataDirectoryLockAcrossProcessesTest {
    private static final List<String> JVM = List.of("--enable-native-access=ALL-UNNAMED",
            "--sun-misc-unsafe-memory-access=allow", "-Xmx256m");

    @TempDir
    Path tmp;

    private List<String> serve(Path dir, String... extra) {
        List<String> args = new ArrayList<>(List.of("serve", "--data-dir", dir.toString(), "--nbd-listen", "127.0.0.1:0",
                "--grpc-listen", "127.0.0.1:0", "--metrics-listen", "off", "--cache-size", "64M", "--export", "name=a,size=1M",
                "--cache-prefault", "false")); // so "data directory" is the child's first line...
        if (!List.of(extra).contains("--warmup")) {
            args.addAll(List.of("--warmup", "0")); // ...also without the killed server's warm-up
        }
        args.addAll(List.of(extra));
        return args;
    }

    /** A server in a child JVM, its stderr in {@code logs}/child.err; returns once it listens. */
    private ChildJvm started(Path dir, String logs, String... extra) throws IOException, InterruptedException {
        ChildJvm child = ChildJvm.start(Files.createDirectories(tmp.resolve(logs)), JVM, Main.class,
                serve(dir, extra).toArray(String[]::new));
        child.expectLine("blockhaus: data directory " + dir + ", cache 64M, 1 volume");
        return child;
    }

    private static Optional<Path> warmupScratch(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith(StartupWarmup.SCRATCH_PREFIX)).findFirst();
        }
    }

    @Test
    void oneServerAtATimeAndAKilledOneLeavesNoLockBehind() throws Exception {
        Path dir = tmp.resolve("data");
        try (ChildJvm first = started(dir, "first")) {
            // A second server, run to its end: refused at once, naming the first.
            List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow()));
            cmd.addAll(JVM);
            cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
            cmd.addAll(serve(dir, "--export", "name=b,size=1M"));
            Process second = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            assertThat(second.waitFor(60, TimeUnit.SECONDS)).as("the refused server exits").isTrue();
            String said = new String(second.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(second.exitValue()).as(said).isEqualTo(Main.EXIT_FAILURE);
            assertThat(said).contains("blockhaus-server: error: the data directory " + dir
                    + " is in use by another Blockhaus server (pid " + first.pid() + " started ");
            assertThat(dir.resolve("b.img")).doesNotExist();

            assertThat(first.terminate()).as("a clean stop").isZero();
        }

        Path scratch;
        try (ChildJvm warming = ChildJvm.start(Files.createDirectories(tmp.resolve("warming")), JVM, Main.class,
                serve(dir, "--warmup", "60s").toArray(String[]::new))) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            Optional<Path> found;
            while ((found = warmupScratch(dir)).isEmpty()) {
                assertThat(System.nanoTime()).as("the warm-up made its scratch directory").isLessThan(deadline);
                LockSupport.parkNanos(20_000_000); // polling interval of a bounded wait for the warm-up to begin
            }
            scratch = found.get();
            assertThat(warming.kill()).as("SIGKILL during the warm-up").isTrue();
        }
        assertThat(scratch).as("the killed warm-up left its scratch directory").exists();

        try (ChildJvm next = started(dir, "next")) {
            assertThat(scratch).as("removed by the next server").doesNotExist();
            assertThat(Files.readString(tmp.resolve("next").resolve("child.err")))
                    .contains("blockhaus: removed " + scratch + ", left by a warm-up that did not finish");
            assertThat(Files.readString(dir.resolve(DataDirectoryLock.NAME))).startsWith("pid " + next.pid() + " started ");
            assertThat(next.terminate()).isZero();
        }
    }
}
