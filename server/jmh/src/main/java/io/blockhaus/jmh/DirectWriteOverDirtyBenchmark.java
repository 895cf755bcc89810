package io.blockhaus.jmh;

import io.blockhaus.engine.Engine;
import io.blockhaus.engine.EngineConfig;
import io.blockhaus.engine.Handle;
import io.blockhaus.engine.Volume;
import io.blockhaus.engine.VolumeConfig;
import io.blockhaus.engine.store.SparseFileStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A direct write over a range whose pages are all cached and dirty: write-and-invalidate writes
 * them back (DESIGN.md rule 3), drops them, then writes the new bytes. Each invocation first
 * dirties the range with buffered writes of a page each (not measured), over a sparse file on
 * /tmp. What
 * changes with {@code pages}: one gather write per contiguous dirty run instead of one pwrite
 * per page (issue 11 item 6).
 * Run: {@code java -jar server/jmh/target/blockhaus-benchmarks.jar DirectWriteOverDirtyBenchmark}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class DirectWriteOverDirtyBenchmark {
    private static final int PAGE = 4096;

    @Param({"16", "256"})
    public int pages;

    private Engine engine;
    private Volume volume;
    private Handle handle;
    private Path file;
    private ByteBuffer dirty;
    private ByteBuffer direct;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        file = Files.createTempFile("blockhaus-jmh", ".img");
        Files.delete(file);
        engine = new Engine(EngineConfig.withCache(64L << 20));
        volume = engine.open(VolumeConfig.of("bench"), SparseFileStore.create(file, 64L << 20));
        handle = volume.open();
        dirty = ByteBuffer.allocateDirect(PAGE);
        direct = ByteBuffer.allocateDirect(pages * PAGE);
    }

    @Setup(Level.Invocation)
    public void dirtyTheRange() {
        // Page by page: one large buffered write would go around the cache (StreamBypass).
        for (int i = 0; i < pages; i++) {
            dirty.clear().limit(PAGE);
            handle.write((long) i * PAGE, dirty, false);
        }
        if (volume.dirtyPages() != pages) {
            throw new IllegalStateException(volume.dirtyPages() + " dirty pages, expected " + pages);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        engine.close();
        Files.deleteIfExists(file);
    }

    @Benchmark
    public void directWriteOverDirtyCache() {
        direct.clear();
        handle.writeDirect(0, direct, false);
    }
}
