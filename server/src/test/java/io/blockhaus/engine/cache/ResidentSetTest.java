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
