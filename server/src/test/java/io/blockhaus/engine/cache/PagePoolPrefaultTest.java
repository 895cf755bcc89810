package io.blockhaus.engine.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Prefaulting a page pool carves it up to what was asked or its budget, the smaller, never past
 * either, also when several threads carve together; and what it carved is there to be taken
 * without carving (a thread that must not wait finds every frame free). Without huge pages a
 * slab is 1 MiB (256 frames of 4 KiB).
 */
class PagePoolPrefaultTest {
    private static final int PAGE = 4096;
    private static final long SLAB = 1L << 20;

    private static int drain(PagePool pool) {
        Set<PagePool.Frame> seen = new HashSet<>();
        for (PagePool.Frame f; (f = pool.tryAllocate()) != null; ) {
            assertThat(seen.add(f)).as("each frame handed out once").isTrue();
        }
        return seen.size();
    }

    @Test
    void carvesUpToTheBudgetAndNoFurther() {
        try (PagePool pool = new PagePool(PAGE, 8 * SLAB)) {
            assertThat(pool.carvedBytes()).as("the first slab, carved when the pool is made").isEqualTo(SLAB);
            assertThat(pool.prefault(Long.MAX_VALUE)).isEqualTo(7 * SLAB);
            assertThat(pool.carvedBytes()).isEqualTo(8 * SLAB);
            assertThat(pool.prefault(Long.MAX_VALUE)).as("already at the budget").isZero();
            assertThat(drain(pool)).as("every frame free, none carved on the way").isEqualTo(8 * 256);
        }
    }

    @Test
    void carvesOnlyWhatIsAskedWhenThatIsLess() {
        try (PagePool pool = new PagePool(PAGE, 8 * SLAB)) {
            assertThat(pool.prefault(3 * SLAB)).isEqualTo(2 * SLAB);
            assertThat(pool.carvedBytes()).isEqualTo(3 * SLAB);
            assertThat(pool.prefault(SLAB + SLAB / 2)).as("a pool already larger is left alone").isZero();
            assertThat(pool.prefault(3 * SLAB + SLAB / 2)).as("never past what is asked: no half slab").isZero();
        }
    }

    @Test
    void threadsCarvingTogetherCarveTheBudgetOnce() throws Exception {
        int threads = 4;
        try (PagePool pool = new PagePool(PAGE, 32 * SLAB)) {
            CyclicBarrier start = new CyclicBarrier(threads);
            AtomicLong carved = new AtomicLong();
            List<Thread> ts = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                ts.add(Thread.ofPlatform().start(() -> {
                    try {
                        start.await();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                    carved.addAndGet(pool.prefault(Long.MAX_VALUE));
                }));
            }
            for (Thread t : ts) {
                t.join();
            }
            assertThat(carved.get()).isEqualTo(31 * SLAB);
            assertThat(pool.carvedBytes()).isEqualTo(32 * SLAB);
            assertThat(drain(pool)).isEqualTo(32 * 256);
        }
    }

    @Test
    void aClosedPoolCarvesNothing() {
        PagePool pool = new PagePool(PAGE, 8 * SLAB);
        pool.close();
        assertThat(pool.prefault(Long.MAX_VALUE)).isZero();
    }

    @Test
    void aPrefaultedPoolStillNeverCarvesAheadPastItsBudget() {
        List<Runnable> asked = new ArrayList<>();
        try (PagePool pool = new PagePool(PAGE, 4 * SLAB)) {
            pool.carveAheadOn(asked::add);
            pool.prefault(Long.MAX_VALUE);
            drain(pool);
            assertThat(asked).as("the pool holds its budget: nothing to carve ahead").isEmpty();
        }
    }
}
