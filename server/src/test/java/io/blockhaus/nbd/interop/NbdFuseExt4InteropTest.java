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
                Fuse.awaitMounted(nbdfuse, nbdMnt, dir.resolve("nbdfuse.pid"));
                assertThat(Files.size(disk)).isEqualTo(128 * MIB);
                Proc.run(TIMEOUT, "mkfs.ext4", "-q", "-F", disk.toString()).ok();

                try (Proc.Background fs = Proc.start("fuse2fs", disk.toString(), fsMnt.toString(), "-f")) {
                    Fuse.awaitMounted(fs, fsMnt, null);
                    Files.write(fsMnt.resolve("hello.txt"), hello);
                    Files.createDirectories(fsMnt.resolve("a/b"));
                    Files.write(fsMnt.resolve("a/b/random.bin"), big);
                    for (int i = 0; i < 50; i++) {
                        Files.writeString(fsMnt.resolve("a/f" + i), "file " + i);
                    }
                    Fuse.unmount(fsMnt);
                    assertThat(fs.waitFor(TIMEOUT)).as(fs.describe()).isZero();
                } finally {
                    Fuse.unmountQuietly(fsMnt);
                }

                Proc.run(TIMEOUT, "e2fsck", "-fn", disk.toString()).ok();

                try (Proc.Background fs = Proc.start("fuse2fs", disk.toString(), fsMnt.toString(), "-f", "-o", "ro")) {
                    Fuse.awaitMounted(fs, fsMnt, null);
                    assertThat(Files.readAllBytes(fsMnt.resolve("hello.txt"))).isEqualTo(hello);
                    assertThat(Files.mismatch(fsMnt.resolve("a/b/random.bin"), writeTemp(big))).isEqualTo(-1);
                    for (int i = 0; i < 50; i++) {
                        assertThat(Files.readString(fsMnt.resolve("a/f" + i))).isEqualTo("file " + i);
                    }
                    Fuse.unmount(fsMnt);
                    assertThat(fs.waitFor(TIMEOUT)).as(fs.describe()).isZero();
                } finally {
                    Fuse.unmountQuietly(fsMnt);
                }
                Fuse.unmount(nbdMnt);
                nbdfuse.waitFor(TIMEOUT);
            } finally {
                Fuse.unmountQuietly(fsMnt);
                Fuse.unmountQuietly(nbdMnt);
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
}
