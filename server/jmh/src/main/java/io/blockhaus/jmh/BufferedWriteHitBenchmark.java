package io.blockhaus.jmh;

import io.blockhaus.engine.Engine;
import io.blockhaus.engine.EngineConfig;
import io.blockhaus.engine.Handle;
import io.blockhaus.engine.Volume;
import io.blockhaus.engine.VolumeConfig;
import io.blockhaus.engine.store.MemoryStore;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A 4 KiB buffered write into a cached page that no mapping holds, through both entry points: the
 * blocking {@code write} (which runs in a recall scope) and the never-waiting {@code writeIfCached}
 * an NBD event loop tries (which reads each page's map count). What it shows: the cost recall
 * before completion adds to the fast path, where there is nothing to recall.
 * Run: {@code java -jar server/jmh/target/blockhaus-benchmarks.jar BufferedWriteHitBenchmark}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class BufferedWriteHitBenchmark {
    private static final int PAGE = 4096;
    private static final int PAGES = 64;

    private Engine engine;
    private Handle handle;
    private ByteBuffer src;
    private long next;

    @Setup(Level.Trial)
    public void setUp() {
        // Dirty pages are never written back under the test: no background threads, and 64 pages
        // stay far below the dirty ratios of a 64 MiB cache.
        engine = new Engine(EngineConfig.withCache(64L << 20).withBackgroundThreads(false));
        Volume volume = engine.open(VolumeConfig.of("jmh-write"), new MemoryStore(PAGES * PAGE));
        handle = volume.open();
        src = ByteBuffer.allocate(PAGE);
        for (int i = 0; i < PAGES; i++) {
            handle.write((long) i * PAGE, src.clear(), false);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        engine.close();
    }

    private long nextOffset() {
        next = (next + 1) % PAGES;
        return next * PAGE;
    }

    @Benchmark
    public void write() {
        handle.write(nextOffset(), src.clear(), false);
    }

    @Benchmark
    public boolean writeIfCached() {
        return handle.fastPaths().writeIfCached(nextOffset(), src.clear());
    }
}
