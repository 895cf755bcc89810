package io.blockhaus.engine.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.blockhaus.engine.call.CallBudget;
import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import io.blockhaus.engine.events.CacheListener;
import io.blockhaus.engine.events.ReadaheadListener;
import io.blockhaus.engine.events.WritebackListener;
import io.blockhaus.engine.store.MemoryStore;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link DirectReclaim} on its own, under a full budget: the thread that needs memory frees it
 * itself, clean pages first, dirty ones written back (their bytes in the store) when nothing
 * clean is left, and waits only when every page is pinned, then fails with ENOMEM having
 * reserved nothing; a reservation's unused pages go back. The wait for memory freed meanwhile
 * is {@code MemoryPressureTest}'s, the non-blocking path's interleavings {@code
 * ReserveWithoutWaitingTest}'s.
 */
class DirectReclaimTest {
    private static final int PAGE = 4096;
    private static final int BUDGET_PAGES = 16;
    private static final long MEMORY_WAIT = 50_000_000L; // 50 ms: the ENOMEM case waits it out

    private final CacheSystem system = new CacheSystem((long) BUDGET_PAGES * PAGE, 0.5, 0.9, Long.MAX_VALUE / 4,
            MEMORY_WAIT, System::nanoTime);
    private final MemoryStore store = new MemoryStore((long) 4 * BUDGET_PAGES * PAGE);
    private final AtomicInteger memoryWaits = new AtomicInteger();
    private final PageCache cache = system.newCache("v", store, PAGE, () -> (long) 4 * BUDGET_PAGES * PAGE,
            new CacheListener() {
                @Override
                public void memoryWaited(long nanos) {
                    memoryWaits.incrementAndGet();
                }
            }, ReadaheadListener.NONE, WritebackListener.NONE);

    @AfterEach
    void close() {
        system.close();
    }

    private DirectReclaim reclaim() {
        DirtyThrottle dirty = new DirtyThrottle(system.budget(), List.of(cache), Long.MAX_VALUE / 4, MEMORY_WAIT,
                System::nanoTime);
        return new DirectReclaim(system.budget(), system.clock(), new MemoryWaits(), dirty, MEMORY_WAIT,
                System::nanoTime);
    }

    /** Fills the whole budget with pages of byte value {@code (index + 1)}; returns them locked. */
    private List<Page> fillBudgetLocked(boolean dirty) {
        List<Page> pages = new ArrayList<>();
        for (long idx = 0; idx < BUDGET_PAGES; idx++) {
            List<Page> run = cache.insertAbsent(idx, idx + 1, null);
            assertThat(run).as("page %d inserted", idx).hasSize(1);
            cache.fill(run);
            Page p = run.getFirst();
            if (dirty) {
                p.memory().fill((byte) (idx + 1));
                cache.markDirty(p);
            }
            pages.add(p);
        }
        assertThat(system.usedBytes()).isEqualTo((long) BUDGET_PAGES * PAGE);
        return pages;
    }

    private static void unlock(List<Page> pages) {
        pages.forEach(Page::unlock);
    }

    @Test
    void underAFullBudgetOfCleanPagesTheFirstPageIsReclaimedAndTheOthersAsFarAsCleanPagesGo() {
        unlock(fillBudgetLocked(false));
        try (PageReservation r = reclaim().reserve(cache, 4, true, CallBudget.NONE)) {
            assertThat(r.pages()).isEqualTo(4);
            assertThat(cache.cachedPages()).as("clean pages evicted for it").isLessThanOrEqualTo(BUDGET_PAGES - 4);
            assertThat(system.usedBytes()).as("the budget: cached pages and the reservation")
                    .isEqualTo((cache.cachedPages() + 4) * PAGE);
        }
        assertThat(system.usedBytes()).as("closed unused: the reservation went back")
                .isEqualTo(cache.cachedPages() * PAGE);
        assertThat(memoryWaits.get()).as("nobody waited").isZero();
    }

    @Test
    void underAFullBudgetOfDirtyPagesTheFirstPageIsHadByWritingBackAndTheDataLands() {
        unlock(fillBudgetLocked(true));
        try (PageReservation r = reclaim().reserve(cache, 1, true, CallBudget.NONE)) {
            assertThat(r.pages()).isEqualTo(1);
        }
        assertThat(cache.dirtyPages()).as("some dirty pages were written back to free one").isLessThan(BUDGET_PAGES);
        for (long idx = 0; idx < BUDGET_PAGES; idx++) {
            if (cache.get(idx) == null || cache.dirtyIn(idx, idx + 1).length == 0) {
                ByteBuffer b = ByteBuffer.allocate(PAGE);
                store.read(idx * PAGE, b);
                assertThat(b.get(0)).as("page %d, written back, is in the store", idx).isEqualTo((byte) (idx + 1));
            }
        }
    }

    @Test
    void withoutAWaitOnlyCleanPagesAreReclaimedAndNoDirtyOneIsWritten() {
        List<Page> pages = fillBudgetLocked(true);
        unlock(pages);
        try (PageReservation r = reclaim().reserve(cache, 8, false, CallBudget.NONE)) {
            assertThat(r.pages()).as("no wait asked for: only clean pages count, and none is").isZero();
        }
        assertThat(cache.dirtyPages()).as("nothing written back").isEqualTo(BUDGET_PAGES);
    }

    @Test
    void whenEveryPageIsPinnedTheWaitEndsWithEnomemAndNothingReserved() {
        List<Page> pinned = fillBudgetLocked(false); // locked: reclaim passes them
        try {
            assertThatThrownBy(() -> reclaim().reserve(cache, 1, true, CallBudget.NONE))
                    .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOMEM));
            assertThat(system.usedBytes()).as("nothing reserved").isEqualTo((long) BUDGET_PAGES * PAGE);
            assertThat(memoryWaits.get()).as("the wait was reported").isEqualTo(1);
        } finally {
            unlock(pinned);
        }
    }
}
