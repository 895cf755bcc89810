package io.blockhaus.nbd.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.blockhaus.engine.Handle;
import io.blockhaus.nbd.NbdTestServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A file system on the export: nbdfuse shows the export as a file in a FUSE mount, mkfs.ext4
 * formats it, fuse2fs mounts that ext4 image and files are written; after unmounting, e2fsck -fn
 * finds it clean, a second fuse2fs mount finds the files intact, and after an NBD flush the backing
 * file alone is a clean ext4 image. Skipped, with the reason, where FUSE mounts are not allowed.
 */
class NbdFuseExt4InteropTest {
    private static final long MIB = 1 << 20;
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    @Test
    void ext4OnNbdfuseWithFuse2fs() throws Exception {
        Proc.requireTool("nbdfuse", "libnbd-bin (nbdfuse)");
        Proc.requireTool("fuse2fs", "fuse2fs");
        Proc.requireTool("fusermount3", "fuse3");
        Proc.requireTool("mkfs.ext4", "e2fsprogs");
        Proc.requireTool("e2fsck", "e2fsprogs");
        assumeTrue(Files.exists(Path.of("/dev/fuse")), "/dev/fuse is missing (no FUSE in this sandbox): test skipped");

        Path backing = dir.resolve("backing.img");
        Path nbdMnt = Files.createDirectory(dir.resolve("nbd"));
        Path fsMnt = Files.createDirectory(dir.resolve("fs"));
        Path disk = nbdMnt.resolve("disk");
        long seed = Images.seed();
        byte[] big = new byte[(int) (5 * MIB + 123)];
        new SplittableRandom(seed).nextBytes(big);
        byte[] hello = "hello from blockhaus over nbdfuse\n".getBytes(StandardCharsets.UTF_8);

        try (NbdTestServer s = NbdTestServer.builder().cacheBytes(32 * MIB).file("default", backing, 128 * MIB).start();
             Proc.Background nbdfuse = Proc.start("nbdfuse", "-P", dir.resolve("nbdfuse.pid").toString(),
                     disk.toString(), s.uri("default"))) {
            try {
                awaitMounted(nbdfuse, nbdMnt, dir.resolve("nbdfuse.pid"));
                assertThat(Files.size(disk)).isEqualTo(128 * MIB);
                Proc.run(TIMEOUT, "mkfs.ext4", "-q", "-F", disk.toString()).ok();

                try (Proc.Background fs = Proc.start("fuse2fs", disk.toString(), fsMnt.toString(), "-f")) {
                    awaitMounted(fs, fsMnt, null);
                    Files.write(fsMnt.resolve("hello.txt"), hello);
                    Files.createDirectories(fsMnt.resolve("a/b"));
                    Files.write(fsMnt.resolve("a/b/random.bin"), big);
                    for (int i = 0; i < 50; i++) {
                        Files.writeString(fsMnt.resolve("a/f" + i), "file " + i);
                    }
                    unmount(fsMnt);
                    assertThat(fs.waitFor(TIMEOUT)).as(fs.describe()).isZero();
                } finally {
                    unmountQuietly(fsMnt);
                }

                Proc.run(TIMEOUT, "e2fsck", "-fn", disk.toString()).ok();

                try (Proc.Background fs = Proc.start("fuse2fs", disk.toString(), fsMnt.toString(), "-f", "-o", "ro")) {
                    awaitMounted(fs, fsMnt, null);
                    assertThat(Files.readAllBytes(fsMnt.resolve("hello.txt"))).isEqualTo(hello);
                    assertThat(Files.mismatch(fsMnt.resolve("a/b/random.bin"), writeTemp(big))).isEqualTo(-1);
                    for (int i = 0; i < 50; i++) {
                        assertThat(Files.readString(fsMnt.resolve("a/f" + i))).isEqualTo("file " + i);
                    }
                    unmount(fsMnt);
                    assertThat(fs.waitFor(TIMEOUT)).as(fs.describe()).isZero();
                } finally {
                    unmountQuietly(fsMnt);
                }
                unmount(nbdMnt);
                nbdfuse.waitFor(TIMEOUT);
            } finally {
                unmountQuietly(fsMnt);
                unmountQuietly(nbdMnt);
            }
            try (Handle h = s.volume("default").open()) {
                h.flush();
            }
            Proc.run(TIMEOUT, "e2fsck", "-fn", backing.toString()).ok(); // the file alone is the file system
        }
    }

    private Path writeTemp(byte[] b) throws IOException {
        return Files.write(dir.resolve("expected.bin"), b);
    }

    private static boolean mounted(Path mnt) throws IOException {
        String target = " " + mnt.toRealPath() + " ";
        return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream().anyMatch(l -> l.contains(target));
    }

    /** Polls (with a deadline) until {@code mnt} is a mount point; skips if the daemon failed to mount. */
    private static void awaitMounted(Proc.Background daemon, Path mnt, Path pidFile) throws Exception {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (mounted(mnt) && (pidFile == null || Files.exists(pidFile))) {
                return;
            }
            if (!daemon.process.isAlive()) {
                String why = daemon.describe();
                assumeTrue(!why.contains("fuse:") && !why.toLowerCase().contains("permission denied")
                        && !why.contains("/dev/fuse"), "FUSE mount not permitted here: " + why);
                throw new AssertionError("mount of " + mnt + " failed:\n" + why);
            }
            daemon.process.onExit().completeOnTimeout(null, 20, java.util.concurrent.TimeUnit.MILLISECONDS).join();
        }
        throw new AssertionError("not mounted within " + TIMEOUT + ":\n" + daemon.describe());
    }

    private static void unmount(Path mnt) {
        Proc.run(TIMEOUT, "fusermount3", "-u", mnt.toString()).ok();
    }

    private static void unmountQuietly(Path mnt) {
        try {
            if (mounted(mnt)) {
                Proc.Result r = Proc.run(TIMEOUT, "fusermount3", "-u", mnt.toString());
                if (r.exit() != 0) {
                    Proc.run(TIMEOUT, "fusermount3", "-uz", mnt.toString());
                }
            }
        } catch (IOException | AssertionError e) {
            System.err.println("cleanup of " + mnt + ": " + e);
        }
    }
}
