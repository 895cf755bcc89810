package io.blockhaus.engine;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/** For tests: makes the kernel forget a file's pages, as memory pressure would. */
public final class KernelPageCache {
    private KernelPageCache() {
    }

    /**
     * Drops the file's clean pages from the kernel's page cache: GNU dd's {@code iflag=nocache
     * count=0} is posix_fadvise(POSIX_FADV_DONTNEED) over the whole file. Dirty pages stay, so
     * sync the file first. Skips the test (an assumption) where dd cannot do it.
     */
    public static void drop(Path file) {
        try {
            Process p = new ProcessBuilder("dd", "if=" + file, "iflag=nocache", "count=0", "status=none")
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            Assumptions.assumeTrue(p.waitFor() == 0, "dd iflag=nocache failed: " + out);
        } catch (IOException e) {
            Assumptions.abort("no dd to drop a file from the kernel's page cache: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
