package io.blockhaus.jmh;

import io.blockhaus.engine.store.HugePageMemory;
import io.blockhaus.engine.store.MemoryStore;
import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
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
 * The ceiling for {@code CacheMissBenchmark.missUnderFullBudget}: how much <em>any</em> page
 * cache's miss under a full budget must cost more at 4 GiB of cache than at 64 MiB, on this
 * machine, so that the target "the same at 64 MiB and at 4 GiB" can be judged against what is
 * reachable at all.
 *
 * <p><b>What it models.</b> The same workload as {@code missUnderFullBudget}, done by the least
 * machinery that can do it: a cache of {@code cacheMiB} of 4 KiB pages over a sparse
 * {@link MemoryStore} four times its size (the same store, read through the same
 * {@link MemoryStore#read} call, so the same zero-fill from the same heap array), read by the same
 * stride walk (a large odd stride over a power-of-two page count: every read misses, and the
 * pages come in a scattered order). One read is:
 * <ol>
 *   <li><b>lookup</b>: the page's index in a long-keyed table (a miss: it is not there);</li>
 *   <li><b>evict</b>: a CLOCK hand over a flat array of frames takes the next frame whose
 *       referenced bit is clear (none is ever set here: every read is a first read) and removes
 *       its page's key from the table;</li>
 *   <li><b>fill</b>: the store writes the page's 4 KiB into the evicted frame's memory;</li>
 *   <li><b>insert</b>: the new key goes into the table, mapped to that frame;</li>
 *   <li><b>copy out</b>: the frame's 4 KiB are copied into the reader's buffer.</li>
 * </ol>
 * Page memory is what {@code PagePool} uses: 2 MiB slabs, each one transparent huge page from
 * {@link HugePageMemory} where the kernel allows it (else the JVM's native memory), cut into 512
 * page frames (the same allocation, so the same kind of pages in the same kind of mappings).
 *
 * <p><b>Why that is the least any page cache must do.</b> A cache that does not hold a page must
 * find that out (a lookup into an index as large as the cache), make room (free one page's memory:
 * under a full budget, by evicting one page, which must leave the index), put the bytes somewhere
 * (4 KiB written into page memory, which under a full budget is memory the cache has not touched
 * for a whole lap of the clock), remember where (an insert) and hand the bytes over (4 KiB read).
 * A CLOCK that finds its victim in one visit is as cheap as replacement gets, and one
 * {@code long[]} with keys and values side by side is the cheapest index (a probe reads one cache
 * line). Everything else Blockhaus does on a miss is left out: one thread, so no locks, no
 * atomics, no budget accounting; no page object, no resident-set bitmap, no dirty or mapped state.
 * Those cost about the same per miss at any cache size, except where they touch memory that grows
 * with the cache; what remains is the memory hierarchy: at 64 MiB the tables and much of the
 * page memory stay in the CPU's caches and TLBs, at 4 GiB each of the five steps above touches
 * memory no cache holds. So the ratio of this benchmark's two sizes is the floor under the ratio
 * of {@code missUnderFullBudget}'s: what Blockhaus's ratio has above it is Blockhaus's own.
 *
 * <p><b>Variants</b> ({@code variant}), to price Blockhaus's object structure on top of the least:
 * <ul>
 *   <li>{@code flat}: the least, as above.</li>
 *   <li>{@code flatFrames}: {@code flat}, and every frame also gets, for life, the three objects
 *       {@code PagePool} carves per page (a record holding a {@code MemorySegment} slice and its
 *       {@code ByteBuffer} view), and the fill writes through a duplicate of that view as
 *       {@code Page.bufferView()} does: the "permanent frame objects" (about 3 million at 4 GiB).
 *       ({@code flat} and {@code chm} fill through a slice of the slab's one buffer.)</li>
 *   <li>{@code chm}: {@code flat} with a {@code ConcurrentHashMap<Long, Integer>} presized to the
 *       cache for the table: a node and two boxes per insert, each living until its page is
 *       evicted, a lap of the clock later.</li>
 *   <li>{@code engineObjects}: the objects {@code PageCache} makes and touches, without its
 *       budget, resident-set bitmap or the clock's and pool's mutexes: {@code flatFrames}'
 *       frames, a {@code ConcurrentHashMap<Long, CachedPage>}, and per miss a page object with
 *       its own {@code ReentrantLock} (as {@code Page} had before it became its own lock), kept in the clock's slot array,
 *       tried and released by the clock when it evicts the page. Five objects per miss that live
 *       a lap (page, lock, the lock's sync, node, key), as the engine's.</li>
 * </ul>
 * {@link JvmCpu} counts CPU time per call as {@code CacheMissBenchmark.Cpu} does, and also the whole
 * JVM's, so work a design hands to other threads (the collector's, its card refinement) is seen;
 * {@link #engineMiss} is {@code missUnderFullBudget} itself under the same counters. A tear-down
 * check that the index maps every frame's key to that frame keeps the table honest.
 *
 * <p>Run beside the engine, in one run:
 * {@code java -jar server/jmh/target/blockhaus-benchmarks.jar 'CacheMissBenchmark.missUnderFullBudget|CacheMissCeilingBenchmark'}
 * (4 GiB of free memory for the 4096 MiB cases, as there). What it showed:
 * {@code docs/benchmarks/ceiling-2026-12-06.md}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xmx3g"})
public class CacheMissCeilingBenchmark {
    private static final int PAGE = 4096;
    private static final long SLAB = HugePageMemory.HUGE_PAGE;
    private static final int FRAMES_PER_SLAB = (int) (SLAB / PAGE);

    /** The index: the flat table, or the JDK's concurrent map of frame numbers or of page objects. */
    private sealed interface Index {
        int get(long key);

        void putAbsent(long key, int frame);

        /** Removes {@code key}, which {@code frame} holds: the clock evicts it. */
        void evict(long key, int frame);
    }

    private record FlatIndex(LongIntTable table) implements Index {
        @Override
        public int get(long key) {
            return table.get(key);
        }

        @Override
        public void putAbsent(long key, int frame) {
            table.putAbsent(key, frame);
        }

        @Override
        public void evict(long key, int frame) {
            table.remove(key);
        }
    }

    private record MapIndex(ConcurrentHashMap<Long, Integer> map) implements Index {
        @Override
        public int get(long key) {
            Integer f = map.get(key);
            return f == null ? -1 : f;
        }

        @Override
        public void putAbsent(long key, int frame) {
            map.put(key, frame);
        }

        @Override
        public void evict(long key, int frame) {
            map.remove(key);
        }
    }

    /** A page object as the engine's: its key, frame, state and a lock of its own. */
    private static final class CachedPage {
        final long key;
        final int frameNumber;
        final Frame frame;
        final ReentrantLock lock = new ReentrantLock();
        boolean live = true;

        CachedPage(long key, int frameNumber, Frame frame) {
            this.key = key;
            this.frameNumber = frameNumber;
            this.frame = frame;
        }
    }

    /** The map of page objects, and the clock's slots holding them (as PageClock's ring does). */
    private record PageObjectIndex(ConcurrentHashMap<Long, CachedPage> map, CachedPage[] slots, Frame[] frames)
            implements Index {
        @Override
        public int get(long key) {
            CachedPage p = map.get(key);
            return p == null ? -1 : p.frameNumber;
        }

        @Override
        public void putAbsent(long key, int frame) {
            CachedPage p = new CachedPage(key, frame, frames[frame]);
            p.lock.lock(); // inserted locked, unlocked once filled: as PageCache does
            map.put(key, p);
            slots[frame] = p;
            p.lock.unlock();
        }

        @Override
        public void evict(long key, int frame) {
            CachedPage p = slots[frame];
            if (!p.lock.tryLock()) {
                throw new IllegalStateException("one thread: a page is never locked here");
            }
            try {
                p.live = false;
                map.remove(p.key, p);
                slots[frame] = null;
            } finally {
                p.lock.unlock();
            }
        }
    }

    /** What PagePool carves per page and keeps for the pool's life. */
    private record Frame(MemorySegment memory, ByteBuffer buffer) {
    }

    /**
     * {@code CacheMissBenchmark.Cpu} (the benchmark thread's CPU time and calls, summed over the
     * measured iterations) plus {@code jvmCpuNanos}: the CPU time of every thread of the JVM
     * (the collector's and JMH's own too; JMH's are idle while an iteration runs, the JIT mostly
     * is by the measured iterations), so {@code jvmCpuNanos / calls} is what a miss costs the
     * machine, and its excess over {@code cpuNanos / calls} is what other threads did for it.
     */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class JvmCpu {
        private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
        private static final com.sun.management.OperatingSystemMXBean OS =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        private long start;
        private long jvmStart;
        public long calls;
        public long cpuNanos;
        public long jvmCpuNanos;

        @Setup(Level.Iteration)
        public void start() {
            start = THREADS.getCurrentThreadCpuTime();
            jvmStart = OS.getProcessCpuTime();
        }

        @TearDown(Level.Iteration)
        public void stop() {
            cpuNanos = THREADS.getCurrentThreadCpuTime() - start;
            jvmCpuNanos = OS.getProcessCpuTime() - jvmStart;
        }
    }

    @State(Scope.Thread)
    public static class Cache {
        @Param({"64", "4096"})
        public long cacheMiB;

        @Param({"flat", "flatFrames", "chm", "engineObjects"})
        public String variant;

        final ByteBuffer buf = ByteBuffer.allocateDirect(PAGE);
        Arena arena;
        /** As the engine's default: null where the kernel gives no huge pages. */
        final HugePageMemory hugePages = HugePageMemory.open().orElse(null);
        MemoryStore store;
        Index idx;
        ByteBuffer[] slabs;  // one buffer per slab, carved as the cache fills (as PagePool does)
        Frame[] frameObjects; // null unless frames=objects
        long[] keyOf;        // the page each frame holds
        boolean[] referenced;
        int frameCount;
        int used;            // frames handed out so far (the fill); then every miss evicts
        int hand;
        StrideWalk walk;

        @Setup(Level.Trial)
        public void setUp() {
            long cache = cacheMiB << 20;
            long size = 4 * cache;
            frameCount = (int) (cache / PAGE);
            arena = Arena.ofShared();
            store = new MemoryStore(size);
            slabs = new ByteBuffer[frameCount / FRAMES_PER_SLAB];
            boolean withFrames = variant.equals("flatFrames") || variant.equals("engineObjects");
            frameObjects = withFrames ? new Frame[frameCount] : null;
            idx = switch (variant) {
                case "flat", "flatFrames" -> new FlatIndex(new LongIntTable(frameCount));
                case "chm" -> new MapIndex(new ConcurrentHashMap<>(frameCount));
                case "engineObjects" ->
                        new PageObjectIndex(new ConcurrentHashMap<>(frameCount), new CachedPage[frameCount], frameObjects);
                default -> throw new IllegalArgumentException("variant " + variant);
            };
            keyOf = new long[frameCount];
            referenced = new boolean[frameCount];
            long volumePages = size / PAGE;
            walk = new StrideWalk(volumePages); // as in CacheMissBenchmark.FullCache
            for (long p = 0; p < volumePages / 4; p++) {
                miss0(this); // the first quarter of the walk fills the cache
            }
        }

        /** A frame for a new page: a fresh one while the cache fills, then the clock's victim. */
        int victim() {
            if (used < frameCount) {
                if (used % FRAMES_PER_SLAB == 0) {
                    carveSlab(used / FRAMES_PER_SLAB);
                }
                return used++;
            }
            while (true) {
                int h = hand;
                hand = h + 1 == frameCount ? 0 : h + 1;
                if (referenced[h]) {
                    referenced[h] = false;
                    continue;
                }
                idx.evict(keyOf[h], h);
                return h;
            }
        }

        private void carveSlab(int slab) {
            MemorySegment s = hugePages != null ? hugePages.map(SLAB, arena) : arena.allocate(SLAB, PAGE);
            slabs[slab] = s.asByteBuffer();
            if (frameObjects != null) {
                for (int i = 0; i < FRAMES_PER_SLAB; i++) {
                    MemorySegment page = s.asSlice((long) i * PAGE, PAGE);
                    frameObjects[slab * FRAMES_PER_SLAB + i] = new Frame(page, page.asByteBuffer());
                }
            }
        }

        /** A buffer over frame {@code f}'s memory, position 0, limit a page. */
        ByteBuffer view(int f) {
            if (frameObjects != null) {
                return frameObjects[f].buffer().duplicate().clear();
            }
            return slabs[f / FRAMES_PER_SLAB].slice((f % FRAMES_PER_SLAB) * PAGE, PAGE);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            for (int f = 0; f < frameCount; f++) {
                if (idx.get(keyOf[f]) != f) {
                    throw new AssertionError("index lost frame " + f + " (page " + keyOf[f] + ")");
                }
            }
            arena.close();
        }
    }

    @Benchmark
    public ByteBuffer miss(Cache s, JvmCpu cpu) {
        cpu.calls++;
        return miss0(s);
    }

    /** {@code CacheMissBenchmark.missUnderFullBudget}, the engine's miss, under {@link JvmCpu}. */
    @Benchmark
    public ByteBuffer engineMiss(CacheMissBenchmark.FullCache s, JvmCpu cpu) {
        cpu.calls++;
        return CacheMissBenchmark.missUnderFullBudget0(s);
    }

    static ByteBuffer miss0(Cache s) {
        long key = s.walk.next();
        int f = s.idx.get(key);
        ByteBuffer page;
        if (f < 0) {
            f = s.victim();
            page = s.view(f);
            s.store.read(key * PAGE, page);
            s.idx.putAbsent(key, f);
            s.keyOf[f] = key;
        } else {
            s.referenced[f] = true; // never, under this walk: kept so the clock is a real one
            page = s.view(f);
        }
        s.buf.clear();
        s.buf.put(0, page, 0, PAGE);
        s.buf.position(PAGE);
        return s.buf;
    }
}
