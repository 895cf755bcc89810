package io.blockhaus.engine.cache;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The non-blocking allocation's budget ({@link DirectReclaim#reserveWithoutWaiting}) takes exactly
 * one page however its tries interleave with other threads' frees (issue 11: one page's worth of
 * budget was lost each time memory was freed between a failed reclaim and the retry after it).
 * The interleaving is replayed on one thread: the reclaim step stands for "the clock's mutex was
 * busy (or nothing was evictable) while another thread freed pages".
 */
class ReserveWithoutWaitingTest {
    private static final int PAGE = 4096;

    private static MemoryBudget fullBudget(int pages) {
        MemoryBudget b = new MemoryBudget((long) pages * PAGE, 0.5, 0.9);
        for (int i = 0; i < pages; i++) {
            assertThat(b.tryReserve(PAGE)).isTrue();
        }
        return b;
    }

    @Test
    void memoryFreedWhileTheClockWasBusyIsTakenOnceNotTwice() {
        MemoryBudget b = fullBudget(8);
        boolean got = DirectReclaim.reserveWithoutWaiting(b, PAGE, () -> {
            b.release(2L * PAGE); // the mutex's holder freed two pages meanwhile
            return -1; // and the mutex stayed busy
        });
        assertThat(got).isTrue();
        assertThat(b.used()).as("one page taken of the two freed").isEqualTo(7L * PAGE);
    }

    @Test
    void memoryFreedWhileNothingWasEvictableIsTakenOnceNotTwice() {
        MemoryBudget b = fullBudget(8);
        boolean got = DirectReclaim.reserveWithoutWaiting(b, PAGE, () -> {
            b.release(3L * PAGE); // another thread's pages went meanwhile
            return 0; // this reclaim found nothing to evict
        });
        assertThat(got).isTrue();
        assertThat(b.used()).isEqualTo(6L * PAGE);
    }

    @Test
    void aReclaimThatFreesIsDrawnOnAndAFullPinnedBudgetGivesUp() {
        MemoryBudget b = fullBudget(8);
        int[] calls = {0};
        assertThat(DirectReclaim.reserveWithoutWaiting(b, PAGE, () -> {
            calls[0]++;
            b.release(PAGE); // evicted one
            return 1;
        })).isTrue();
        assertThat(b.used()).isEqualTo(8L * PAGE);
        assertThat(calls[0]).isEqualTo(1);
        assertThat(DirectReclaim.reserveWithoutWaiting(b, PAGE, () -> -1)).as("busy and full: gives up").isFalse();
        assertThat(DirectReclaim.reserveWithoutWaiting(b, PAGE, () -> 0)).as("pinned and full: gives up").isFalse();
        assertThat(b.used()).isEqualTo(8L * PAGE);
    }

    @Test
    void aFreeBudgetNeedsNoReclaim() {
        MemoryBudget b = new MemoryBudget(8L * PAGE, 0.5, 0.9);
        assertThat(DirectReclaim.reserveWithoutWaiting(b, PAGE, () -> {
            throw new AssertionError("reclaimed with budget to spare");
        })).isTrue();
        assertThat(b.used()).isEqualTo(PAGE);
    }
}
