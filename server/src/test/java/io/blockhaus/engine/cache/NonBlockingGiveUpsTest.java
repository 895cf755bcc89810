package io.blockhaus.engine.cache;

import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.engine.ForwardingStore;
import io.blockhaus.engine.cache.NonBlockingGiveUps.Reason;
import io.blockhaus.engine.store.MemoryStore;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Every give-up of the event loop's miss ({@link PageCache#insertAndFillWithoutWaiting}) is
 * counted under the reason that caused it, and a miss that succeeds counts nothing: these counts
 * are how the 4 KiB random-read row's hand-offs to workers were measured (rare: well under 1 %
 * of misses, docs/benchmarks/rows-2026-12-06.md), so each reason must be told apart exactly.
 * Mutexes are held by another thread until the call has returned (a call that waited would
 * never return: the timeout turns that into a failure).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class NonBlockingGiveUpsTest {
    private static final int PAGE = 4096;

    private CacheSystem system;
    private PageCache cache;
    private final AtomicBoolean inMemory = new AtomicBoolean(true);

    @AfterEach
    void close() {
        system.close();
    }

    private void cacheOf(long pages) {
        system = new CacheSystem(pages * PAGE, 0.99, 0.995, Long.MAX_VALUE, 1_000_000_000L, System::nanoTime);
        MemoryStore memory = new MemoryStore(64L * PAGE);
        ForwardingStore store = new ForwardingStore(memory) {
            @Override
            public boolean readIfInMemory(long offset, ByteBuffer[] dsts) {
                return inMemory.get() && memory.readIfInMemory(offset, dsts);
            }
        };
        cache = system.newCache("t", store, PAGE, () -> 64L * PAGE);
    }

    /** Fills page {@code idx} without waiting and unlocks it; true if it did. */
    private boolean fill(long idx) {
        List<Page> run = cache.insertAndFillWithoutWaiting(idx, idx + 1);
        PageCache.unlockAll(run);
        return !run.isEmpty();
    }

    private void assertOnly(Reason reason, long count) {
        NonBlockingGiveUps g = system.giveUps();
        assertThat(g.of(reason)).as(g.toString()).isEqualTo(count);
        assertThat(g.total()).as(g.toString()).isEqualTo(count);
    }

    @Test
    void aSuccessfulMissCountsNothing() {
        cacheOf(2);
        assertThat(fill(0)).isTrue();
        assertThat(fill(1)).isTrue();
        assertThat(fill(2)).as("the budget is full: reclaim evicts a clean page").isTrue();
        assertThat(system.giveUps().total()).isZero();
    }

    @Test
    void aFullBudgetWithTheClockHeldCountsClockBusy() throws Exception {
        cacheOf(2);
        assertThat(fill(0)).isTrue();
        assertThat(fill(1)).isTrue();
        try (HeldMutex h = new HeldMutex(system.clock().mutexForTests())) {
            assertThat(fill(2)).isFalse();
            assertThat(fill(3)).isFalse();
        }
        assertOnly(Reason.CLOCK_BUSY, 2);
        assertThat(fill(2)).as("the clock free again").isTrue();
        assertOnly(Reason.CLOCK_BUSY, 2);
    }

    @Test
    void aFullBudgetOfDirtyPagesCountsNothingEvictable() {
        cacheOf(2);
        assertThat(fill(0)).isTrue();
        assertThat(fill(1)).isTrue();
        List<Page> both = List.of(cache.lookupLocked(0), cache.lookupLocked(1));
        try {
            assertThat(cache.tryMarkDirty(both.toArray(Page[]::new))).isTrue();
        } finally {
            PageCache.unlockAll(both);
        }
        assertThat(fill(5)).isFalse();
        assertOnly(Reason.NOTHING_EVICTABLE, 1);
    }

    @Test
    void thePoolHeldCountsPoolBusy() throws Exception {
        cacheOf(16);
        try (HeldMutex h = new HeldMutex(system.pool(PAGE).mutexForTests())) {
            assertThat(fill(2)).isFalse();
        }
        assertOnly(Reason.POOL_EMPTY_OR_BUSY, 1);
        assertThat(system.usedBytes()).as("the budget taken for it went back").isZero();
    }

    @Test
    void bytesNotInMemoryCountNotInMemoryForOnePageAndForARun() {
        cacheOf(16);
        inMemory.set(false);
        assertThat(fill(2)).isFalse();
        assertThat(cache.insertAndFillWithoutWaiting(4, 8)).isEmpty();
        assertOnly(Reason.NOT_IN_MEMORY, 2);
        assertThat(cache.get(2)).isNull();
        assertThat(system.usedBytes()).isZero();
    }

}
