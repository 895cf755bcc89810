package io.blockhaus.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.client.BlockhausClient;
import io.blockhaus.client.Types;
import io.blockhaus.testing.ChildJvm;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * One server at a time on a data directory, and on an exported file, with servers in this JVM
 * (as tests run them) and a probe in a child JVM: a second server is refused before it opens a
 * volume, binds a port or changes a file; a stopped one lets the next in; a killed warm-up's
 * scratch directory is removed at start; the lock file leaves the gRPC volume list alone.
 * Servers in other processes, stopped and killed: {@link DataDirectoryLockAcrossProcessesTest}.
 */
class DataDirectoryLockTest {
    @TempDir
    Path tmp;

    private final StringWriter err = new StringWriter();

    /** serve run to its end in this JVM; any volume it tries to open fails the test. */
    private int serveToExit(String... args) {
        CommandLine.IFactory factory = new CommandLine.IFactory() {
            @Override
            public <K> K create(Class<K> cls) throws Exception {
                if (cls == ServeCommand.class) {
                    return cls.cast(new ServeCommand((file, size, ro) -> {
                        throw new AssertionError("a refused server opened " + file);
                    }, false));
                }
                return CommandLine.defaultFactory().create(cls);
            }
        };
        CommandLine cmd = Main.commandLine(factory);
        cmd.setOut(new PrintWriter(err, true));
        cmd.setErr(new PrintWriter(err, true));
        List<String> all = new ArrayList<>(List.of("serve", "--metrics-listen", "off", "--warmup", "0"));
        all.addAll(List.of(args));
        return cmd.execute(all.toArray(String[]::new));
    }

    /** Every path under {@code dir} with its content's size and modification time: what "touched nothing" compares. */
    private static Map<String, String> snapshot(Path dir) throws IOException {
        Map<String, String> m = new TreeMap<>();
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.toList()) {
                m.put(dir.relativize(p).toString(), Files.isDirectory(p) ? "dir"
                        : Files.size(p) + "@" + Files.getLastModifiedTime(p).toMillis() + ":"
                                + (p.getFileName().toString().equals(DataDirectoryLock.NAME) ? Files.readString(p) : ""));
            }
        }
        return m;
    }

    private static long selfPid() {
        return ProcessHandle.current().pid();
    }

    @Test
    void aSecondServerIsRefusedBeforeItTouchesAnythingAndAStoppedOneLetsTheNextIn() throws Exception {
        Path dir = tmp.resolve("data");
        try (InProcessServe first = InProcessServe.start(dir, "--export", "name=a,size=1M")) {
            assertThat(Files.readString(dir.resolve(DataDirectoryLock.NAME))).startsWith("pid " + selfPid() + " started ");
            // A warm-up of the first server in progress, as far as a second one can tell: not its to remove.
            Files.createDirectories(dir.resolve(".warmup-inprogress"));
            Map<String, String> before = snapshot(dir);

            // The first server's own ports: a second that got as far as binding would fail differently.
            int code = serveToExit("--data-dir", dir.toString(), "--nbd-listen", "127.0.0.1:" + first.nbdPort(),
                    "--grpc-listen", first.grpcTarget(), "--export", "name=b,size=1M");

            assertThat(code).as(err.toString()).isEqualTo(Main.EXIT_FAILURE);
            assertThat(err.toString()).isEqualTo("blockhaus-server: error: the data directory " + dir.toAbsolutePath()
                    + " is in use by another Blockhaus server (pid " + selfPid() + " started "
                    + ProcessHandle.current().info().startInstant().orElseThrow().truncatedTo(java.time.temporal.ChronoUnit.SECONDS)
                    + ", this very process); two servers on one directory would overwrite each other's writes:"
                    + " stop that one, or give this one another --data-dir\n");
            assertThat(snapshot(dir)).as("the refused server changed nothing").isEqualTo(before);

            // The refusal closed a descriptor of the lock file in this process: with a POSIX lock
            // (FileChannel.tryLock) that would have dropped the first server's lock. Another process agrees it holds.
            try (ChildJvm probe = ChildJvm.start(tmp, List.of("--enable-native-access=ALL-UNNAMED", "-Xmx64m"),
                    DataDirectoryProbe.class, dir.toString(), Long.toString(selfPid()))) {
                probe.expectLine("refused by pid " + selfPid());
            }
        }
        // Stopped (volumes closed, then the lock released): the next server starts on the directory.
        try (InProcessServe next = InProcessServe.start(dir, "--export", "name=a")) {
            assertThat(next.log()).contains("volume a: 1M");
        }
    }

    @Test
    void aKilledWarmupsScratchDirectoriesAreRemovedAtStart() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("data"));
        Path leftover = Files.createDirectories(dir.resolve(".warmup-1234567"));
        Files.write(leftover.resolve(StartupWarmup.VOLUME + ".img"), new byte[4096]);
        Path empty = Files.createDirectories(dir.resolve(".warmup-89"));
        Path notScratch = Files.writeString(dir.resolve(".warmup-notes"), "a file, not a warm-up's directory");
        try (InProcessServe s = InProcessServe.start(dir, "--export", "name=a,size=1M")) {
            assertThat(leftover).doesNotExist();
            assertThat(empty).doesNotExist();
            assertThat(notScratch).exists();
            assertThat(s.log()).contains("blockhaus: removed " + leftover.toAbsolutePath()
                    + ", left by a warm-up that did not finish (a killed server)");
        }
    }

    @Test
    void anExportedFileIsWrittenByOneServerOrReadByManyAcrossDataDirectories() throws Exception {
        Path file = Files.write(tmp.resolve("shared.img"), new byte[1 << 20]);
        String rw = "name=s,path=" + file;
        try (InProcessServe writer = InProcessServe.start(tmp.resolve("one"), "--export", rw)) {
            assertThat(serveToExit("--data-dir", tmp.resolve("two").toString(), "--nbd-listen", "127.0.0.1:0",
                    "--grpc-listen", "127.0.0.1:0", "--export", rw)).as(err.toString()).isEqualTo(Main.EXIT_FAILURE);
            assertThat(err.toString()).contains("export 's': " + file + " is in use by another process",
                    "two writers on one file lose writes");
            err.getBuffer().setLength(0);
            assertThat(serveToExit("--data-dir", tmp.resolve("two").toString(), "--nbd-listen", "127.0.0.1:0",
                    "--grpc-listen", "127.0.0.1:0", "--export", rw + ",readonly")).as(err.toString()).isEqualTo(Main.EXIT_FAILURE);
            assertThat(err.toString()).contains("export 's': " + file + " is in use by another process",
                    "cannot be served read-only beside it");
        }
        try (InProcessServe r1 = InProcessServe.start(tmp.resolve("one"), "--export", rw + ",readonly");
                InProcessServe r2 = InProcessServe.start(tmp.resolve("two"), "--export", rw + ",readonly")) {
            assertThat(r1.log()).contains("read-only");
            assertThat(r2.log()).contains("read-only");
            err.getBuffer().setLength(0);
            assertThat(serveToExit("--data-dir", tmp.resolve("three").toString(), "--nbd-listen", "127.0.0.1:0",
                    "--grpc-listen", "127.0.0.1:0", "--export", rw)).as(err.toString()).isEqualTo(Main.EXIT_FAILURE);
            assertThat(err.toString()).contains("two writers on one file lose writes");
        }
    }

    @Test
    void theLockFileLeavesTheGrpcVolumeListAndTheDirectoryChecksAlone() throws Exception {
        Path dir = tmp.resolve("data");
        try (InProcessServe s = InProcessServe.start(dir, "--export", "name=cli,size=1M");
                BlockhausClient c = BlockhausClient.connect(s.grpcTarget())) {
            c.createVolume("made", 1 << 20);
            assertThat(c.listVolumes()).extracting(Types.VolumeInfo::name).containsExactly("cli", "made");
        }
        assertThat(dir.resolve(DataDirectoryLock.NAME)).exists();
        try (InProcessServe s = InProcessServe.start(dir, "--export", "name=cli");
                BlockhausClient c = BlockhausClient.connect(s.grpcTarget())) {
            assertThat(c.listVolumes()).extracting(Types.VolumeInfo::name).containsExactly("cli", "made");
            assertThat(s.log()).doesNotContain("warning");
        }
        // A data directory that cannot be made is still said as before, now by the lock's first step.
        Path notADir = Files.writeString(tmp.resolve("file"), "x");
        assertThat(serveToExit("--data-dir", notADir.resolve("sub").toString(),
                "--export", "name=a,size=1M,path=" + tmp.resolve("a.img"))).as(err.toString()).isEqualTo(Main.EXIT_FAILURE);
        assertThat(err.toString()).startsWith("blockhaus-server: error: cannot create the data directory " + notADir.resolve("sub"));
    }
}
