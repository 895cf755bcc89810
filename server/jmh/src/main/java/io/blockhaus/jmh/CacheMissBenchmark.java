package io.blockhaus.jmh;

import io.blockhaus.engine.Advice;
import io.blockhaus.engine.Engine;
import io.blockhaus.engine.EngineConfig;
import io.blockhaus.engine.Handle;
import io.blockhaus.engine.Volume;
import io.blockhaus.engine.VolumeConfig;
import io.blockhaus.engine.store.FfmNativeIo;
import io.blockhaus.engine.store.MemoryStore;
import io.blockhaus.engine.store.NativeIo;
import io.blockhaus.engine.store.NativeIoException;
import io.blockhaus.engine.store.SparseFileStore;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import org.openjdk.jmh.annotations.AuxCounters;
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
 * What a 4 KiB buffered-read miss costs, in two settings measured in one run.
 * <ul>
 *   <li>{@code missUnderFullBudget} ({@link FullCache}): the cache is full of clean pages and
 *       every read misses, so every read reclaims one page. The store is a sparse
 *       {@link MemoryStore} (holes read as zeroes), so what is measured is the engine alone, and
 *       the {@code cacheMiB} parameter shows whether that cost depends on how much is cached
 *       (it must not: reclaim costs what it frees). The reads walk the volume, four times the cache,
 *       by a large odd stride, so every page comes back only after the whole cache has turned
 *       over: each read is a miss, in a scattered order.</li>
 *   <li>{@code missOverKernelCachedFile}, {@code hitOverFile} and {@code plainPread}
 *       ({@link CachedFile}): a sparse-file store whose bytes the kernel already caches (written
 *       at setup, 256 MiB), a 16 MiB cache, RANDOM advice (no readahead). The miss is compared
 *       with one pread(2) of 4 KiB at a random offset of the same file through the engine's own
 *       FFM binding: the floor a miss cannot go under. {@code preadIntoColdPage} is the same
 *       pread into a random page of a cache-sized buffer (a control: a miss's page memory is
 *       recycled from the page the clock just evicted, cold in the CPU's caches).</li>
 * </ul>
 * Run: {@code java -jar server/jmh/target/blockhaus-benchmarks.jar CacheMissBenchmark}; the
 * 4096 MiB case needs 4 GiB of free memory for page memory plus a 2 GiB heap.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xmx3g"})
public class CacheMissBenchmark {
    private static final int PAGE = 4096;

    /**
     * CPU time of the benchmark thread (user + system, so a pread's kernel time is in) and the
     * calls it was spent on, both summed over the measured iterations: their ratio is the CPU
     * time per call. Next to JMH's wall time because on a machine shared with other builds the
     * wall time of a microsecond call is mostly time spent preempted; CPU time is not. GC
     * threads' time is not in it (see {@code -prof gc}).
     */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Cpu {
        private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
        private long start;
        public long calls;
        public long cpuNanos;

        @Setup(Level.Iteration)
        public void start() {
            start = THREADS.getCurrentThreadCpuTime();
        }

        @TearDown(Level.Iteration)
        public void stop() {
            cpuNanos = THREADS.getCurrentThreadCpuTime() - start;
        }
    }

    /** A cache full of clean pages over a sparse volume four times its size. */
    @State(Scope.Thread)
    public static class FullCache {
        @Param({"64", "4096"})
        public long cacheMiB;

        Engine engine;
        Handle handle;
        final ByteBuffer buf = ByteBuffer.allocateDirect(PAGE);
        StrideWalk walk;

        @Setup(Level.Trial)
        public void setUp() {
            long cache = cacheMiB << 20;
            long size = 4 * cache;
            engine = new Engine(EngineConfig.withCache(cache));
            Volume volume = engine.open(VolumeConfig.of("bench"), new MemoryStore(size));
            handle = volume.open();
            handle.fadvise(Advice.RANDOM, 0, 0);
            long volumePages = size / PAGE;
            walk = new StrideWalk(volumePages); // a page comes back only after 4x the cache has been read
            for (long p = 0; p < volumePages / 4; p++) {
                missUnderFullBudget0(this); // the first quarter of the walk fills the budget
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            engine.close();
        }
    }

    /** A 256 MiB sparse file the kernel holds in memory, under a 16 MiB cache. */
    @State(Scope.Thread)
    public static class CachedFile {
        private static final long CACHE = 16L << 20;
        private static final long SIZE = 16 * CACHE;

        Engine engine;
        Handle handle;
        Path file;
        int fd = -1;
        Arena arena;
        MemorySegment seg;
        MemorySegment spread; // as much memory as the cache, for the pread into a cold page
        final ByteBuffer buf = ByteBuffer.allocateDirect(PAGE);
        final SplittableRandom random = new SplittableRandom(42);
        long cachedPages;
        long volumePages;

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            file = Files.createTempFile("blockhaus-jmh", ".img");
            Files.delete(file);
            engine = new Engine(EngineConfig.withCache(CACHE));
            Volume volume = engine.open(VolumeConfig.of("bench"), SparseFileStore.create(file, SIZE));
            handle = volume.open();
            cachedPages = CACHE / PAGE / 2;
            volumePages = SIZE / PAGE;
            BufferedReadBenchmark.fillThenCacheTheStart(handle, SIZE, cachedPages, buf);
            fd = FfmNativeIo.instance().open(file, NativeIo.O_RDONLY | NativeIo.O_CLOEXEC, 0);
            arena = Arena.ofConfined();
            seg = arena.allocate(PAGE, PAGE);
            spread = arena.allocate(CACHE, PAGE);
            spread.fill((byte) 1); // touched, as the cache's pages are
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            FfmNativeIo.instance().close(fd);
            arena.close();
            engine.close();
            Files.deleteIfExists(file);
        }
    }

    @Benchmark
    public ByteBuffer missUnderFullBudget(FullCache s, Cpu cpu) {
        cpu.calls++;
        return missUnderFullBudget0(s);
    }

    static ByteBuffer missUnderFullBudget0(FullCache s) {
        s.buf.clear();
        s.handle.read(s.walk.next() * PAGE, s.buf);
        return s.buf;
    }

    @Benchmark
    public ByteBuffer missOverKernelCachedFile(CachedFile s, Cpu cpu) {
        cpu.calls++;
        s.buf.clear();
        s.handle.read(s.random.nextLong(s.cachedPages, s.volumePages) * PAGE, s.buf);
        return s.buf;
    }

    @Benchmark
    public ByteBuffer hitOverFile(CachedFile s, Cpu cpu) {
        cpu.calls++;
        s.buf.clear();
        s.handle.read(s.random.nextLong(s.cachedPages) * PAGE, s.buf);
        return s.buf;
    }

    @Benchmark
    public long plainPread(CachedFile s, Cpu cpu) throws NativeIoException {
        cpu.calls++;
        return FfmNativeIo.instance().pread(s.fd, s.seg, s.random.nextLong(s.volumePages) * PAGE);
    }

    /**
     * A control, not a target: the same pread into a random page of a cache-sized buffer, as a
     * miss must (its page's memory was the coldest page of the cache a moment ago).
     */
    @Benchmark
    public long preadIntoColdPage(CachedFile s, Cpu cpu) throws NativeIoException {
        cpu.calls++;
        MemorySegment dst = s.spread.asSlice(s.random.nextLong(CachedFile.CACHE / PAGE) * PAGE, PAGE);
        return FfmNativeIo.instance().pread(s.fd, dst, s.random.nextLong(s.volumePages) * PAGE);
    }
}
