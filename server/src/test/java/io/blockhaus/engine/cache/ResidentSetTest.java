package io.blockhaus.engine.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.BitSet;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ResidentSetTest {
    @Test
    void rangesAcrossWordAndChunkEdges() {
        ResidentSet s = new ResidentSet();
        assertThat(s.anyIn(0, 1 << 20)).isFalse();
        s.add(4095); // last page of the first chunk
        assertThat(s.anyIn(4095, 4096)).isTrue();
        assertThat(s.anyIn(0, 4095)).isFalse();
        assertThat(s.anyIn(4096, 8192)).isFalse();
        assertThat(s.anyIn(4000, 5000)).isTrue();
        s.add(64);
        assertThat(s.anyIn(0, 64)).isFalse();
        assertThat(s.anyIn(64, 65)).isTrue();
        assertThat(s.anyIn(65, 4095)).isFalse();
        s.remove(64);
        s.remove(4095);
        assertThat(s.anyIn(0, 1 << 20)).isFalse();
        s.add(Long.MAX_VALUE / 4096); // a page index far out
        assertThat(s.anyIn(Long.MAX_VALUE / 4096, Long.MAX_VALUE / 4096 + 1)).isTrue();
    }

    @Test
    void matchesABitSetModel() {
        long seed = Long.getLong("resident.seed", new SplittableRandom().nextLong());
        System.out.println("ResidentSetTest seed=" + seed + "   (replay: -Dresident.seed=" + seed + ")");
        SplittableRandom rnd = new SplittableRandom(seed);
        ResidentSet s = new ResidentSet();
        BitSet model = new BitSet();
        int span = 3 * 4096 + 77;
        for (int op = 0; op < 50_000; op++) {
            int i = rnd.nextInt(span);
            if (rnd.nextBoolean()) {
                s.add(i);
                model.set(i);
            } else {
                s.remove(i);
                model.clear(i);
            }
            int a = rnd.nextInt(span);
            int b = a + rnd.nextInt(Math.min(600, span - a) + 1);
            int next = model.nextSetBit(a);
            boolean expected = next >= 0 && next < b;
            assertThat(s.anyIn(a, b)).as("seed %d op %d range [%d,%d)", seed, op, a, b).isEqualTo(expected);
            long[] want = model.get(a, b).stream().mapToLong(x -> x + a).toArray();
            assertThat(s.indexesIn(a, b)).as("seed %d op %d indexes in [%d,%d)", seed, op, a, b).containsExactly(want);
            long chunksInModel = model.stream().map(x -> x >>> 12).distinct().count();
            assertThat(s.chunkCount()).as("seed %d op %d chunks held", seed, op).isEqualTo((int) chunksInModel);
        }
    }

    @Test
    void aChunkIsDroppedWithItsLastPage() {
        ResidentSet s = new ResidentSet();
        for (long chunk = 0; chunk < 1000; chunk++) { // one page per 16 MiB over 16 GiB of volume
            s.add(chunk * 4096 + 7);
        }
        assertThat(s.chunkCount()).isEqualTo(1000);
        s.add(7 + 1);
        s.remove(7);
        assertThat(s.chunkCount()).as("a chunk with a page left stays").isEqualTo(1000);
        assertThat(s.anyIn(0, 4096)).isTrue();
        s.remove(7 + 1);
        s.remove(7 + 2); // never set: must not drop or corrupt anything
        for (long chunk = 1; chunk < 1000; chunk++) {
            s.remove(chunk * 4096 + 7);
        }
        assertThat(s.chunkCount()).isZero();
        assertThat(s.anyIn(0, 1000L * 4096)).isFalse();
    }

    @Test
    void growingTheTreeKeepsWhatWasThereAndRangesSkipEmptySubtrees() {
        ResidentSet s = new ResidentSet();
        s.add(5);
        s.add(4096L * ResidentSet.FANOUT - 1); // the last page one level covers
        long far = 4096L * ResidentSet.FANOUT * ResidentSet.FANOUT * 3 + 17; // three levels deep
        s.add(far);
        assertThat(s.anyIn(5, 6)).as("a chunk of the old root survives the grow").isTrue();
        assertThat(s.anyIn(4096L * ResidentSet.FANOUT - 1, 4096L * ResidentSet.FANOUT)).isTrue();
        assertThat(s.indexesIn(0, Long.MAX_VALUE)).containsExactly(5, 4096L * ResidentSet.FANOUT - 1, far);
        assertThat(s.indexesIn(6, far)).containsExactly(4096L * ResidentSet.FANOUT - 1);
        assertThat(s.anyIn(4096L * ResidentSet.FANOUT, far)).as("the empty subtrees between").isFalse();
        assertThat(s.chunkCount()).isEqualTo(3);
        s.add(6); // into the old root's chunk, now one level down
        assertThat(s.indexesIn(0, 4096)).containsExactly(5, 6);
        s.remove(far);
        s.remove(5);
        s.remove(6);
        s.remove(4096L * ResidentSet.FANOUT - 1);
        assertThat(s.chunkCount()).isZero();
        assertThat(s.anyIn(0, Long.MAX_VALUE)).isFalse();
    }

    @Test
    void theLastPagesOfTheIndexSpaceAreReachable() {
        ResidentSet s = new ResidentSet();
        long last = Long.MAX_VALUE;
        s.add(last);
        s.add(last - 4096 * 70);
        assertThat(s.anyIn(last, Long.MAX_VALUE)).as("an empty range").isFalse();
        assertThat(s.indexesIn(last - 4096 * 100, Long.MAX_VALUE)).containsExactly(last - 4096 * 70);
        assertThat(s.indexesIn(0, Long.MAX_VALUE)).containsExactly(last - 4096 * 70);
        assertThat(s.chunkCount()).isEqualTo(2);
        s.remove(last);
        assertThat(s.chunkCount()).isEqualTo(1);
    }

    @Test
    void aNegativeIndexIsABug() {
        ResidentSet s = new ResidentSet();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> s.add(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(s.anyIn(-100, 100)).isFalse();
    }

    /**
     * The reason for the tree: adding and clearing a page of a chunk that exists allocates nothing,
     * also for chunk numbers past the {@code Long} cache (a map boxed them: 16 B each call).
     * Measured by the thread's allocation counter over many calls, so a stray allocation at
     * linkage or compilation stays far below the bound.
     */
    @Test
    void addAndRemoveInAnExistingChunkAllocateNothing() {
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        org.junit.jupiter.api.Assumptions.assumeTrue(threads.isThreadAllocatedMemorySupported(), "no allocation counter");
        ResidentSet s = new ResidentSet();
        int chunks = 1000; // chunk numbers up to 999: past the Long cache
        for (long c = 0; c < chunks; c++) {
            s.add(c * 4096); // keeps each chunk alive
        }
        int calls = 200_000;
        for (int round = 0; round < 2; round++) { // the first round warms up (linkage, compilation)
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < calls; i++) {
                long idx = (i % chunks) * 4096L + 1 + (i % 4095);
                s.add(idx);
                s.remove(idx);
            }
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            if (round == 1) {
                assertThat(allocated).as("bytes allocated by %d adds and removes", calls).isLessThan(calls / 10);
            }
        }
        assertThat(s.chunkCount()).isEqualTo(chunks);
    }

    /**
     * Readers racing growers: a page present throughout is always found, however often the tree
     * grows under the reader, and adds made while it grows are all kept.
     */
    @Test
    void readersAndAddersRacingGrowthMissNothing() throws Exception {
        long seed = Long.getLong("resident.seed", new SplittableRandom().nextLong());
        System.out.println("ResidentSetTest growth seed=" + seed + "   (replay: -Dresident.seed=" + seed + ")");
        for (int round = 0; round < 200; round++) {
            ResidentSet s = new ResidentSet();
            s.add(3); // present throughout
            SplittableRandom rnd = new SplittableRandom(seed + round);
            long[] far = new long[5];
            for (int i = 0; i < far.length; i++) { // each a level further out than the last
                far[i] = (4096L << (10 * (i + 1))) + rnd.nextInt(1 << 20);
            }
            java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(3);
            try (var pool = java.util.concurrent.Executors.newFixedThreadPool(3)) {
                var grower = pool.submit(() -> {
                    start.await();
                    for (long f : far) {
                        s.add(f);
                    }
                    return null;
                });
                var nearAdder = pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < 64; i++) {
                        s.add(4096L * i + 9);
                    }
                    return null;
                });
                var reader = pool.submit(() -> {
                    start.await();
                    int misses = 0;
                    for (int i = 0; i < 2000; i++) {
                        if (!s.anyIn(3, 4)) {
                            misses++;
                        }
                    }
                    return misses;
                });
                grower.get();
                nearAdder.get();
                assertThat(reader.get()).as("seed %d round %d: lookups that missed a present page", seed, round).isZero();
            }
            assertThat(s.chunkCount()).as("seed %d round %d", seed, round).isEqualTo(1 + 63 + far.length);
            for (long f : far) {
                assertThat(s.anyIn(f, f + 1)).as("seed %d round %d far %d", seed, round, f).isTrue();
            }
            for (int i = 0; i < 64; i++) {
                assertThat(s.anyIn(4096L * i + 9, 4096L * i + 10)).as("seed %d round %d near %d", seed, round, i).isTrue();
            }
        }
    }

    /**
     * Adders and removers of different pages of the same chunks, at once: a chunk dropped by one
     * thread's last removal must never take another thread's fresh bit with it.
     */
    @Test
    void concurrentAddsAndRemovesInSharedChunksLoseNoBit() throws Exception {
        long seed = Long.getLong("resident.seed", new SplittableRandom().nextLong());
        System.out.println("ResidentSetTest concurrent seed=" + seed + "   (replay: -Dresident.seed=" + seed + ")");
        ResidentSet s = new ResidentSet();
        int threads = 4;
        int chunks = 3;
        java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(threads);
        java.util.List<java.util.concurrent.Future<BitSet>> results = new java.util.ArrayList<>();
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(threads)) {
            for (int t = 0; t < threads; t++) {
                int me = t;
                SplittableRandom rnd = new SplittableRandom(seed + t);
                results.add(pool.submit(() -> {
                    BitSet mine = new BitSet(); // thread t owns the indexes = t (mod threads)
                    start.await();
                    for (int op = 0; op < 500_000; op++) {
                        // two pages per thread per chunk: chunks empty (and are dropped) all the time
                        long idx = rnd.nextInt(chunks) * 4096L + rnd.nextInt(2) * threads + me;
                        if (rnd.nextInt(3) == 0) {
                            s.add(idx);
                            mine.set((int) idx);
                        } else {
                            s.remove(idx);
                            mine.clear((int) idx);
                        }
                    }
                    return mine;
                }));
            }
            BitSet expected = new BitSet();
            for (var f : results) {
                expected.or(f.get());
            }
            long[] want = expected.stream().asLongStream().toArray();
            assertThat(s.indexesIn(0, (long) chunks * 4096)).as("seed %d", seed).containsExactly(want);
            long chunksInModel = expected.stream().map(x -> x >>> 12).distinct().count();
            assertThat(s.chunkCount()).as("seed %d", seed).isEqualTo((int) chunksInModel);
        }
    }
}
