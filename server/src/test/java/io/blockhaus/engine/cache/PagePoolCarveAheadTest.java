package io.blockhaus.engine.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import org.junit.jupiter.api.Test;

/**
 * A page pool with a carver asks it for the next slab before its free list runs dry, once at a
 * time, and only while the pool is smaller than the budget it serves; so a thread that must not
 * wait ({@link PagePool#tryAllocate}) keeps finding frames while a fresh cache fills. The carver
 * here only queues what it is asked, and the test runs it: no timing involved.
 */
class PagePoolCarveAheadTest {
    private static final int PAGE = 4096;
    private static final int SLAB_PAGES = 256; // a 1 MiB slab of 4 KiB pages
    private static final int LOW_WATER = SLAB_PAGES / 4;

    private final Queue<Runnable> asked = new ArrayDeque<>();

    private static List<PagePool.Frame> take(PagePool pool, int n) {
        List<PagePool.Frame> taken = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            PagePool.Frame f = pool.tryAllocate();
            assertThat(f).as("frame %d of %d", i, n).isNotNull();
            taken.add(f);
        }
        return taken;
    }

    @Test
    void asksForTheNextSlabWhenAQuarterOfOneIsLeftAndOnlyOnceAtATime() {
        try (PagePool pool = new PagePool(PAGE, 16L << 20)) {
            pool.carveAheadOn(asked::add);
            take(pool, SLAB_PAGES - LOW_WATER);
            assertThat(asked).as("a quarter of a slab still free").isEmpty();
            take(pool, 1);
            assertThat(asked).as("below a quarter: the next slab is asked for").hasSize(1);
            take(pool, LOW_WATER - 1);
            assertThat(asked).as("one carve at a time").hasSize(1);
            assertThat(pool.tryAllocate()).as("dry until the carver has run").isNull();

            asked.remove().run();
            take(pool, SLAB_PAGES - LOW_WATER);
            assertThat(asked).isEmpty();
            take(pool, 1);
            assertThat(asked).as("the next carve may be asked for once the last one finished").hasSize(1);
        }
    }

    @Test
    void neverCarvesAheadPastTheBudget() {
        try (PagePool pool = new PagePool(PAGE, 2L << 20)) { // two slabs' worth
            pool.carveAheadOn(asked::add);
            take(pool, SLAB_PAGES);
            asked.remove().run(); // the second slab: the pool now holds the budget
            take(pool, SLAB_PAGES);
            assertThat(asked).as("the pool holds the whole budget: nothing more ahead").isEmpty();
            assertThat(pool.tryAllocate()).isNull();
            assertThat(pool.allocate()).as("a demand carve still works").isNotNull();
        }
    }

    @Test
    void withoutACarverNothingIsCarvedAhead() {
        try (PagePool pool = new PagePool(PAGE, 16L << 20)) {
            take(pool, SLAB_PAGES);
            assertThat(pool.tryAllocate()).as("an empty pool is a worker's to grow").isNull();
        }
    }

    @Test
    void aCarveThatRunsAfterTheCloseAddsNothingAndThrowsNothing() {
        PagePool pool = new PagePool(PAGE, 16L << 20);
        pool.carveAheadOn(asked::add);
        take(pool, SLAB_PAGES - LOW_WATER + 1);
        pool.close();
        asked.remove().run();
    }

    @Test
    void aWorkersDemandCarveAlsoAsksForTheNextSlab() {
        try (PagePool pool = new PagePool(PAGE, 16L << 20)) {
            take(pool, SLAB_PAGES); // no carver yet: the first slab drained quietly
            pool.carveAheadOn(asked::add);
            assertThat(pool.allocate()).as("carved on demand").isNotNull();
            assertThat(asked).as("and the next one ahead").hasSize(1);
        }
    }
}
