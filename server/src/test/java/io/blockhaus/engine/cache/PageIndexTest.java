package io.blockhaus.engine.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * The page index against a map model (growth, shrinking, removal's back-shifts over colliding
 * runs), and its lock-free reads against writers churning the same stripes: a page that stays
 * indexed is always found, and a lookup never returns a page of another index.
 */
class PageIndexTest {
    private static final PagePool.Frame NO_MEMORY = new PagePool.Frame(MemorySegment.NULL, ByteBuffer.allocate(0));

    /** A page object, as the pool makes one per frame (the index keeps keys itself; tests keep theirs). */
    private static Page page() {
        return new Page(null, NO_MEMORY);
    }

    private static long seed(String property) {
        long seed = Long.getLong(property, new SplittableRandom().nextLong());
        System.out.println("PageIndexTest seed=" + seed + "   (replay: -D" + property + "=" + seed + ")");
        return seed;
    }

    @Test
    void matchesAMapModelThroughGrowthShrinkingAndCollidingRuns() {
        long seed = seed("pageindex.seed");
        SplittableRandom rnd = new SplittableRandom(seed);
        PageIndex index = new PageIndex(0); // the smallest tables: every stripe grows and shrinks
        Map<Long, Page> model = new HashMap<>();
        for (int op = 0; op < 200_000; op++) {
            // Phases that fill up and drain, over keys that are dense, far apart, or power-of-two strides.
            boolean filling = (op / 20_000) % 2 == 0;
            long key = switch (rnd.nextInt(3)) {
                case 0 -> rnd.nextLong(5_000);
                case 1 -> rnd.nextLong(64) << 32;
                default -> Long.MAX_VALUE / 4096 - rnd.nextLong(1_000);
            };
            if (rnd.nextInt(4) != 0 == filling) {
                Page p = page();
                Page had = index.putIfAbsent(key, p);
                assertThat(had).as("seed %d op %d put %d", seed, op, key).isSameAs(model.get(key));
                model.putIfAbsent(key, p);
            } else {
                Page p = model.get(key);
                Page other = page();
                assertThat(index.remove(key, other)).as("seed %d op %d: a page not indexed is not removed", seed, op).isFalse();
                if (p != null) {
                    assertThat(index.remove(key + 1, p)).as("seed %d op %d: not under another key", seed, op).isFalse();
                    assertThat(index.remove(key, p)).as("seed %d op %d remove %d", seed, op, key).isTrue();
                    model.remove(key);
                }
            }
            long probe = rnd.nextLong(5_000);
            assertThat(index.get(probe)).as("seed %d op %d get %d", seed, op, probe).isSameAs(model.get(probe));
            if (op % 5_000 == 0) {
                assertThat(index.size()).as("seed %d op %d size", seed, op).isEqualTo(model.size());
                assertThat(index.keysIn(Long.MIN_VALUE, Long.MAX_VALUE)).as("seed %d op %d keys", seed, op)
                        .containsExactly(model.keySet().stream().mapToLong(Long::longValue).sorted().toArray());
                long[] some = index.keysIn(1_000, 2_000);
                assertThat(some).as("seed %d op %d keys in a range, ascending", seed, op)
                        .containsExactly(model.keySet().stream().mapToLong(Long::longValue).filter(k -> k >= 1_000 && k < 2_000).sorted().toArray());
                for (Map.Entry<Long, Page> e : model.entrySet()) {
                    assertThat(index.get(e.getKey())).as("seed %d op %d get %d", seed, op, e.getKey()).isSameAs(e.getValue());
                }
            }
        }
    }

    @Test
    void lockFreeReadsFindEveryPageThatStaysWhileWritersChurnTheSameStripes() throws Exception {
        long seed = seed("pageindex.concurrent.seed");
        PageIndex index = new PageIndex(0);
        // One page object per churned index, inserted and removed again and again (as the pool
        // recycles a page): a lookup of index i may only ever return churn[i].
        // Stable pages at every 3rd index: the churned ones in between share their stripes and
        // probe runs, so removals shift stable pages back and growth moves them to new tables.
        int span = 30_000;
        Page[] stable = new Page[span];
        Page[] churn = new Page[span];
        for (int i = 0; i < span; i++) {
            if (i % 3 == 0) {
                stable[i] = page();
                assertThat(index.putIfAbsent(i, stable[i])).isNull();
            } else {
                churn[i] = page();
            }
        }
        int writers = 2;
        int readers = 2;
        CyclicBarrier start = new CyclicBarrier(writers + readers);
        AtomicBoolean writing = new AtomicBoolean(true);
        ExecutorService pool = Executors.newFixedThreadPool(writers + readers);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                SplittableRandom rnd = new SplittableRandom(seed + w);
                int lane = w;
                done.add(pool.submit(() -> {
                    start.await();
                    // Each writer owns the churned indexes of its lane, as each page has one inserter.
                    for (int round = 0; round < 20; round++) {
                        List<Integer> mine = new ArrayList<>();
                        for (int i = 1 + lane; i < span; i += 3) {
                            if (rnd.nextInt(4) != 0) {
                                assertThat(index.putIfAbsent(i, churn[i])).isNull();
                                mine.add(i);
                            }
                        }
                        for (int i : mine) {
                            assertThat(index.remove(i, churn[i])).isTrue();
                        }
                    }
                    return null;
                }));
            }
            List<Future<Long>> reads = new ArrayList<>();
            for (int r = 0; r < readers; r++) {
                SplittableRandom rnd = new SplittableRandom(seed + 100 + r);
                reads.add(pool.submit(() -> {
                    start.await();
                    long n = 0;
                    while (writing.get() || n < 100_000) {
                        int i = rnd.nextInt(span);
                        Page p = index.get(i);
                        if (stable[i] != null) {
                            assertThat(p).as("seed %d: stable page %d", seed, i).isSameAs(stable[i]);
                        } else if (p != null) {
                            assertThat(p).as("seed %d: page found for %d", seed, i).isSameAs(churn[i]);
                        }
                        n++;
                    }
                    return n;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
            writing.set(false);
            for (Future<Long> f : reads) {
                assertThat(f.get()).isGreaterThanOrEqualTo(100_000L);
            }
        } finally {
            writing.set(false);
            pool.shutdownNow();
        }
        assertThat(index.size()).isEqualTo((span + 2) / 3);
        for (int i = 0; i < span; i++) {
            assertThat(index.get(i)).as("page %d after the churn", i).isSameAs(stable[i]);
        }
    }
}
