package io.blockhaus.jmh;

import io.blockhaus.engine.Advice;
import io.blockhaus.engine.Engine;
import io.blockhaus.engine.EngineConfig;
import io.blockhaus.engine.Handle;
import io.blockhaus.engine.Volume;
import io.blockhaus.engine.VolumeConfig;
import io.blockhaus.engine.lock.LockPolicy;
import io.blockhaus.engine.store.BackingStore;
import io.blockhaus.engine.store.MemoryStore;
import io.blockhaus.engine.store.SparseFileStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
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
 * 4 KiB buffered reads through the engine.
 * <ul>
 *   <li>{@code cachedRead}: the page is in the cache - the lock-free fast path (lookup, page lock,
 *       copy). Offsets are random over a working set that fits the cache.</li>
 *   <li>{@code missRead}: random pages over a volume 16 times the cache, RANDOM advice so there is
 *       no readahead: nearly every read evicts a page, takes ADD, inserts, reads the store. The
 *       {@code store} parameter picks a memory store (engine cost alone) or a sparse file on
 *       /tmp (engine plus a pread from the OS page cache).</li>
 * </ul>
 * Run: {@code java -jar server/jmh/target/blockhaus-benchmarks.jar BufferedReadBenchmark}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class BufferedReadBenchmark {
    private static final int PAGE = 4096;
    private static final long CACHE = 16L << 20;

    @Param({"memory", "file"})
    public String store;

    @Param({"TWO_STATE"})
    public LockPolicy policy;

    private Engine engine;
    private Volume volume;
    private Handle handle;
    private Path file;
    private final ByteBuffer buf = ByteBuffer.allocateDirect(PAGE);
    private final SplittableRandom random = new SplittableRandom(42);
    private long cachedPages;
    private long volumePages;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        long size = 16 * CACHE;
        BackingStore s;
        if (store.equals("file")) {
            file = Files.createTempFile("blockhaus-jmh", ".img");
            Files.delete(file);
            s = SparseFileStore.create(file, size);
        } else {
            s = new MemoryStore(size);
        }
        engine = new Engine(EngineConfig.withCache(CACHE));
        volume = engine.open(VolumeConfig.of("bench").withLockPolicy(policy), s);
        handle = volume.open();
        cachedPages = CACHE / PAGE / 2;
        volumePages = size / PAGE;
        fillThenCacheTheStart(handle, size, cachedPages, buf);
    }

    /**
     * Writes every MiB of the volume (direct, so the store has it and the cache does not), sets
     * RANDOM advice (no readahead), then reads the first {@code cachedPages} pages into the cache.
     */
    static void fillThenCacheTheStart(Handle handle, long size, long cachedPages, ByteBuffer buf) {
        ByteBuffer fill = ByteBuffer.allocate(1 << 20);
        for (long off = 0; off < size; off += fill.capacity()) {
            fill.clear();
            fill.putLong(0, off);
            handle.writeDirect(off, fill, false);
        }
        handle.fadvise(Advice.RANDOM, 0, 0);
        for (long p = 0; p < cachedPages; p++) {
            buf.clear();
            handle.read(p * PAGE, buf);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        engine.close();
        if (file != null) {
            Files.deleteIfExists(file);
        }
    }

    @Benchmark
    public ByteBuffer cachedRead() {
        buf.clear();
        handle.read(random.nextLong(cachedPages) * PAGE, buf);
        return buf;
    }

    @Benchmark
    public ByteBuffer missRead() {
        buf.clear();
        handle.read(random.nextLong(cachedPages, volumePages) * PAGE, buf);
        return buf;
    }
}
