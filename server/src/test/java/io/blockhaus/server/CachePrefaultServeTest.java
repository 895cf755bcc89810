package io.blockhaus.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code serve} maps and touches the whole page cache before it listens unless told not to
 * ({@code --cache-prefault}), and says so: the first clients' misses then find memory the kernel
 * has already zeroed.
 */
class CachePrefaultServeTest {
    @TempDir
    Path dir;

    @Test
    void prefaultIsTheDefault() {
        CacheOptions options = new CacheOptions();
        new CommandLine(options).parseArgs();
        assertThat(options.prefaults()).isTrue();
        new CommandLine(options).parseArgs("--cache-prefault", "false");
        assertThat(options.prefaults()).isFalse();
    }

    @Test
    void theWholeCacheIsTouchedBeforeTheServerListens() {
        try (InProcessServe serve = InProcessServe.start(dir, "--cache-size", "16M", "--cache-prefault", "true",
                "--export", "name=v,size=1M")) {
            String log = serve.log();
            assertThat(log).contains("page cache memory mapped and touched: 16M");
            assertThat(log.indexOf("mapped and touched")).as("before the NBD server listens")
                    .isLessThan(log.indexOf("NBD listening"));
        }
    }

    @Test
    void offTouchesNothingAtStart() {
        try (InProcessServe serve = InProcessServe.start(dir, "--cache-size", "16M", "--cache-prefault", "false",
                "--export", "name=v,size=1M")) {
            assertThat(serve.log()).doesNotContain("mapped and touched");
        }
    }
}
