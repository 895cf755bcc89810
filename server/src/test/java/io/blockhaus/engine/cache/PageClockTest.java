package io.blockhaus.engine.cache;

import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.engine.store.MemoryStore;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Reclaim costs what it frees (issue 11 item 3): the clock passes a bounded number of pages it
 * cannot evict per page asked for, however many are cached, and a page read again gets a second
 * lap that a page read once does not.
 */
class PageClockTest {
    private static final int PAGE = 4096;

    private CacheSystem system;

    @AfterEach
    void close() {
        if (system != null) {
            system.close();
        }
    }

    private PageCache cacheOf(long pages) {
        system = new CacheSystem(pages * PAGE, 0.99, 0.995, Long.MAX_VALUE, 1_000_000_000L, System::nanoTime);
        return system.newCache("t", new MemoryStore(4 * pages * PAGE), PAGE, () -> 4 * pages * PAGE);
    }

    /** Fills the whole budget with uptodate pages, dirty when asked, unlocked. */
    private static void fill(PageCache c, long pages, boolean dirty) {
        for (long i = 0; i < pages; ) {
            List<Page> run = c.insertAbsent(i, pages, null);
            assertThat(run).as("memory for page %d", i).isNotEmpty();
            c.fill(run);
            for (Page p : run) {
                if (dirty) {
                    c.markDirty(p);
                }
                p.unlock();
            }
            i += run.size();
        }
    }

    @Test
    void aCacheFullOfDirtyPagesCostsTheSameToGiveUpOnWhateverItsSize() {
        for (long pages : new long[] {256, 65_536}) {
            PageCache c = cacheOf(pages);
            fill(c, pages, true);
            assertThat(system.usedBytes()).isEqualTo(pages * PAGE);
            long before = system.clockVisits();
            assertThat(system.reclaim(1)).isZero();
            assertThat(system.clockVisits() - before)
                    .as("visits to give up on one page with %d cached", pages)
                    .isLessThanOrEqualTo(CacheSystem.WASTE_PER_PAGE);
            close();
        }
    }

    @Test
    void aWaitingAllocatorPagesOutWhatTheHandPointsAtWhateverTheCacheSize() {
        for (long pages : new long[] {256, 65_536}) {
            PageCache c = cacheOf(pages);
            fill(c, pages, true);
            long visits = system.clockVisits();
            try (PageReservation r = system.reserve(c, 1, true)) {
                assertThat(r.pages()).isEqualTo(1);
            }
            assertThat(system.clockVisits() - visits).as("visits with %d cached", pages).isLessThanOrEqualTo(32);
            long written = pages - c.dirtyPages();
            assertThat(written).as("pages written back with %d cached: one run", pages).isBetween(1L, 256L);
            assertThat(c.cachedPages()).isEqualTo(pages - written);
            close();
        }
    }

    @Test
    void cleanUnreferencedPagesAreEvictedOneVisitEach() {
        PageCache c = cacheOf(4096);
        fill(c, 4096, false);
        long before = system.clockVisits();
        assertThat(system.reclaim(32)).isEqualTo(32);
        assertThat(system.clockVisits() - before).isEqualTo(32);
        assertThat(c.cachedPages()).isEqualTo(4096 - 32);
        assertThat(system.usedBytes()).isEqualTo((4096 - 32) * PAGE);
    }

    @Test
    void aPageReadAgainOutlivesItsNeighbourReadOnce() {
        PageCache c = cacheOf(64);
        fill(c, 64, false);
        Page again = c.lookupLocked(0); // a hit: sets the referenced bit
        again.unlock();
        assertThat(system.reclaim(1)).isEqualTo(1);
        assertThat(c.get(0)).as("referenced page 0 got a second chance").isNotNull();
        assertThat(c.get(1)).as("page 1, read once, went first").isNull();
    }

    @Test
    void aFreedSlotIsReusedSoTheRingDoesNotGrowWithTurnover() {
        PageCache c = cacheOf(64);
        fill(c, 64, false);
        for (long i = 64; i < 64 * 100; i++) {
            List<Page> run = c.insertAbsent(i, i + 1, null);
            assertThat(run).hasSize(1);
            c.fill(run);
            PageCache.unlockAll(run);
        }
        assertThat(c.cachedPages()).isEqualTo(64);
        assertThat(system.clockSlots()).isEqualTo(64);
    }
}
