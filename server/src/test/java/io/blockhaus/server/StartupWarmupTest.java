package io.blockhaus.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.blockhaus.engine.EngineConfig;
import io.blockhaus.engine.store.BackingStore;
import io.blockhaus.nbd.NbdServerConfig;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/**
 * {@code serve --warmup}: the warm-up sends real traffic through a scratch volume of the server's
 * own store type, and leaves no file, directory or thread behind; serve runs it before listening
 * and says so; the option's range.
 */
class StartupWarmupTest {

    @TempDir
    Path dir;

    @Test
    void runsTrafficOverAScratchVolumeAndLeavesNothingBehind() throws Exception {
        Set<Long> threadsBefore = liveThreadIds();
        List<Path> opened = new CopyOnWriteArrayList<>();
        List<Boolean> existedWhileOpen = new CopyOnWriteArrayList<>();
        StoreFactory recording = (file, size, readOnly) -> {
            opened.add(file);
            BackingStore store = new FileStoreFactory().open(file, size, readOnly);
            existedWhileOpen.add(Files.exists(file));
            return store;
        };

        StartupWarmup.Report report = StartupWarmup.run(Duration.ofMillis(300), dir, recording,
                EngineConfig.withCache(256L << 20), true, Duration.ofMillis(10),
                NbdServerConfig.defaults(new InetSocketAddress("127.0.0.1", 0)));

        // Real traffic went through: reads, writes and one FLUSH per connection and round, all answered.
        assertThat(report.reads()).isPositive();
        assertThat(report.writes()).isPositive();
        assertThat(report.flushes()).isEqualTo(StartupWarmup.CONNECTIONS * StartupWarmup.ROUNDS);
        assertThat(report.took()).isGreaterThanOrEqualTo(Duration.ofMillis(300));
        // Bounded: the warm-up's own cache, not the server's 256M; a scratch file four times it.
        assertThat(report.cacheBytes()).isEqualTo(StartupWarmup.MAX_CACHE_BYTES);
        assertThat(report.fileBytes()).isEqualTo(4 * StartupWarmup.MAX_CACHE_BYTES);
        assertThat(report.describe()).contains("warm-up").contains("16M cache").contains("64M scratch file");
        // One scratch file per round, made by the server's store factory in a private directory of the data directory...
        assertThat(opened).hasSize(StartupWarmup.ROUNDS);
        assertThat(existedWhileOpen).containsOnly(true);
        for (Path scratch : opened) {
            Path warmupDir = scratch.getParent().getParent();
            assertThat(warmupDir.getParent()).isEqualTo(dir);
            assertThat(warmupDir.getFileName().toString()).startsWith(".warmup-");
        }
        assertThat(opened).doesNotHaveDuplicates();
        // ...and nothing of it left.
        try (Stream<Path> left = Files.list(dir)) {
            assertThat(left.toList()).isEmpty();
        }
        // Every thread it started has ended (the NBD server's loops and workers, the engine's
        // writer and readahead, the clients): waited for with a bound, as a thread that has been
        // told to stop may take a moment to leave.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        List<String> leaked = newThreads(threadsBefore);
        while (!leaked.isEmpty() && System.nanoTime() < deadline) {
            LockSupport.parkNanos(20_000_000); // polling interval of a bounded wait
            leaked = newThreads(threadsBefore);
        }
        assertThat(leaked).isEmpty();
    }

    @Test
    void aFailureIsSaidAndServingGoesOn() {
        StoreFactory failing = (file, size, readOnly) -> {
            throw new IllegalStateException("no disk today");
        };
        WarmupOptions options = new WarmupOptions();
        new CommandLine(options).parseArgs("--warmup", "100ms");
        java.io.StringWriter out = new java.io.StringWriter();
        java.io.StringWriter err = new java.io.StringWriter();

        options.runBeforeListening(dir, failing, EngineConfig.withCache(1L << 20), false, Duration.ofMillis(10),
                NbdServerConfig.defaults(new InetSocketAddress("127.0.0.1", 0)),
                new java.io.PrintWriter(out, true), new java.io.PrintWriter(err, true));

        assertThat(out.toString()).isEmpty();
        assertThat(err.toString()).contains("warm-up failed, serving without it").contains("no disk today");
        assertThat(dir).isEmptyDirectory();
    }

    @Test
    void serveWarmsUpBeforeListeningAndSaysSo() throws Exception {
        try (InProcessServe serve = InProcessServe.start(dir, "--warmup", "200ms")) {
            // The start's last line comes after both front ends listen (a bounded wait for it).
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!serve.log().contains("running as pid") && System.nanoTime() < deadline) {
                LockSupport.parkNanos(10_000_000); // polling interval of a bounded wait
            }
            String log = serve.log();
            assertThat(log).contains("blockhaus: warm-up ").contains("NBD listening");
            // The warm-up ran, and said so, before the server listened.
            assertThat(log.indexOf("blockhaus: warm-up ")).isLessThan(log.indexOf("NBD listening"));
            try (Stream<Path> files = Files.list(dir)) {
                assertThat(files.map(p -> p.getFileName().toString()).toList())
                        .containsExactlyInAnyOrder("default.img", DataDirectoryLock.NAME);
            }
        }
    }

    @Test
    void optionDefaultsToTwoSecondsAndTakesZeroToSixtySeconds() {
        assertThat(parse().duration()).isEqualTo(Duration.ofSeconds(2));
        assertThat(parse("--warmup", "0").duration()).isZero();
        assertThat(parse("--warmup", "0ms").duration()).isZero();
        assertThat(parse("--warmup", "500ms").duration()).isEqualTo(Duration.ofMillis(500));
        assertThat(parse("--warmup", "60s").duration()).isEqualTo(Duration.ofSeconds(60));
        assertThatThrownBy(() -> parse("--warmup", "61s")).isInstanceOf(ParameterException.class)
                .hasMessageContaining("need 0 to 60s, got 61s");
        assertThatThrownBy(() -> parse("--warmup", "soon")).isInstanceOf(ParameterException.class)
                .hasMessageContaining("invalid duration");
    }

    private static WarmupOptions parse(String... args) {
        WarmupOptions o = new WarmupOptions();
        new CommandLine(o).parseArgs(args);
        return o;
    }

    private static Set<Long> liveThreadIds() {
        return Thread.getAllStackTraces().keySet().stream().map(Thread::threadId).collect(Collectors.toSet());
    }

    /** Threads alive now that were not before, by name. */
    private static List<String> newThreads(Set<Long> before) {
        List<String> names = new ArrayList<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.isAlive() && !before.contains(t.threadId())) {
                names.add(t.getName());
            }
        }
        return names;
    }
}
