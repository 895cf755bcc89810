package io.blockhaus.nbd.interop;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** FUSE mounts for the interop tests (nbdfuse, fuse2fs): waiting for one, and unmounting. */
final class Fuse {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private Fuse() {
    }

    static boolean mounted(Path mnt) throws IOException {
        String target = " " + mnt.toRealPath() + " ";
        return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream().anyMatch(l -> l.contains(target));
    }

    /** Polls (with a deadline) until {@code mnt} is a mount point; skips if the daemon failed to mount. */
    static void awaitMounted(Proc.Background daemon, Path mnt, Path pidFile) throws Exception {
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

    static void unmount(Path mnt) {
        Proc.run(TIMEOUT, "fusermount3", "-u", mnt.toString()).ok();
    }

    static void unmountQuietly(Path mnt) {
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
