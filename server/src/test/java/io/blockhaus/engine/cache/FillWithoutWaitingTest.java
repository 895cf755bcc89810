package io.blockhaus.engine.cache;

import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.engine.store.MemoryStore;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The miss an event loop fills ({@link PageCache#insertAndFillWithoutWaiting}, under
 * {@code BufferedIo.readWithoutWaiting}) never waits for a mutex (issue 11 item 1): while another
 * thread holds the clock's or the pool's mutex it gives up, returning no page and leaving
 * nothing behind (no page indexed, no budget taken), and the same call succeeds once the mutex
 * is free; a filled page's admission to the clock, which used to give up the same way, queues
 * instead and gets its slot from the clock's next holder; likewise the inline WRITE's marking of pages dirty while another thread holds the
 * dirty index's mutex. The other thread keeps the mutex until the call has returned, so a call that waited
 * would never return: the timeout turns that into a failure instead of a hang.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class FillWithoutWaitingTest {
    private static final int PAGE = 4096;

    private CacheSystem system;
    private PageCache cache;

    @AfterEach
    void close() {
        system.close();
    }

    private void cacheOf(long pages) {
        system = new CacheSystem(pages * PAGE, 0.99, 0.995, Long.MAX_VALUE, 1_000_000_000L, System::nanoTime);
        MemoryStore store = new MemoryStore(64L * pages * PAGE); // in memory: readIfInMemory succeeds
        byte[] b = new byte[PAGE];
        for (int i = 0; i < 8; i++) {
            java.util.Arrays.fill(b, (byte) (i + 1));
            store.write((long) i * PAGE, ByteBuffer.wrap(b));
        }
        cache = system.newCache("t", store, PAGE, () -> 64L * pages * PAGE);
    }

    /** Fills page {@code idx} without waiting and checks its bytes; true if it did. */
    private boolean fill(long idx) {
        List<Page> run = cache.insertAndFillWithoutWaiting(idx, idx + 1);
        if (run.isEmpty()) {
            return false;
        }
        try {
            assertThat(run).hasSize(1);
            assertThat(run.getFirst().isUptodate()).isTrue();
            assertThat(run.getFirst().buffer().get(0)).isEqualTo((byte) (idx + 1));
        } finally {
            PageCache.unlockAll(run);
        }
        return true;
    }

    @Test
    void admitsWhileTheClockIsHeldAndTheNextHolderGivesTheSlot() throws Exception {
        cacheOf(16);
        Page p;
        try (HeldMutex h = new HeldMutex(system.clock().mutexForTests())) {
            assertThat(fill(1)).as("admission queues rather than waits for the clock").isTrue();
            p = cache.get(1);
            assertThat(p).isNotNull();
            assertThat(p.clockSlot).as("queued for a slot").isEqualTo(PageClock.PENDING);
        }
        assertThat(system.clockSlots()).as("the next holder of the clock gave it a slot").isEqualTo(1);
        assertThat(p.clockSlot).isZero();
        assertThat(system.reclaim(1)).as("and it is evictable").isEqualTo(1);
        assertThat(cache.get(1)).isNull();
        assertThat(system.usedBytes()).isZero();
    }

    @Test
    void aPageRemovedWhileQueuedForItsSlotLeavesNoSlotBehind() throws Exception {
        cacheOf(16);
        try (HeldMutex h = new HeldMutex(system.clock().mutexForTests())) {
            assertThat(fill(1)).isTrue();
            assertThat(fill(2)).isTrue();
        }
        Page p = cache.lookupLocked(1);
        try {
            assertThat(p.clockSlot).isEqualTo(PageClock.PENDING);
            cache.remove(p);
            assertThat(p.clockSlot).as("given its slot, then out of it").isEqualTo(-1);
        } finally {
            p.unlock();
        }
        assertThat(system.clock().resident()).as("page 2 only").isEqualTo(1);
        assertThat(system.reclaim(16)).as("page 2: nothing dead left in the ring").isEqualTo(1);
        assertThat(system.clock().resident()).isZero();
        assertThat(system.usedBytes()).isZero();
    }

    @Test
    void givesUpWhileThePoolIsHeld() throws Exception {
        cacheOf(16);
        try (HeldMutex h = new HeldMutex(system.pool(PAGE).mutexForTests())) {
            assertThat(fill(2)).isFalse();
            assertThat(cache.get(2)).isNull();
            assertThat(system.usedBytes()).isZero();
        }
        assertThat(fill(2)).isTrue();
    }

    @Test
    void anInlineWriteMarksNothingDirtyWhileTheDirtyIndexIsHeld() throws Exception {
        cacheOf(16);
        List<Page> run = cache.insertAndFillWithoutWaiting(0, 2);
        assertThat(run).hasSize(2);
        Page[] pages = run.toArray(Page[]::new);
        try {
            try (HeldMutex h = new HeldMutex(cache.dirtyIndexForTests().mutexForTests())) {
                assertThat(cache.tryMarkDirty(pages)).as("the dirty index is busy").isFalse();
                assertThat(pages[0].isDirty() || pages[1].isDirty()).isFalse();
                assertThat(cache.dirtyPages()).isZero();
            }
            assertThat(cache.tryMarkDirty(pages)).isTrue();
            assertThat(pages[0].isDirty() && pages[1].isDirty()).isTrue();
            assertThat(cache.dirtyPages()).isEqualTo(2);
            assertThat(cache.tryMarkDirty(pages)).as("already dirty: nothing to add").isTrue();
            assertThat(cache.dirtyPages()).isEqualTo(2);
        } finally {
            PageCache.unlockAll(run);
        }
    }

    /**
     * A store that throws an Error (a bug in it, as NbdDisconnectsTest injects) on the loop's
     * one-page fill or on a worker's fill: the page is removed and unlocked before the Error
     * leaves, so no later reader waits for its lock forever or reads a page that was never filled.
     */
    @Test
    void anErrorFromTheStoreLeavesNoPageLockedOrUnfilledBehind() {
        system = new CacheSystem(16L * PAGE, 0.99, 0.995, Long.MAX_VALUE, 1_000_000_000L, System::nanoTime);
        MemoryStore memory = new MemoryStore(64L * PAGE);
        byte[] four = new byte[PAGE];
        java.util.Arrays.fill(four, (byte) 4); // page 3's bytes, as cacheOf writes them
        memory.write(3L * PAGE, ByteBuffer.wrap(four));
        java.util.concurrent.atomic.AtomicReference<Error> failure = new java.util.concurrent.atomic.AtomicReference<>();
        io.blockhaus.engine.ForwardingStore store = new io.blockhaus.engine.ForwardingStore(memory) {
            @Override
            public boolean readIfInMemory(long offset, ByteBuffer[] dsts) {
                failOnce();
                return memory.readIfInMemory(offset, dsts);
            }

            @Override
            public void read(long offset, ByteBuffer dst) {
                failOnce();
                super.read(offset, dst);
            }

            private void failOnce() {
                Error e = failure.getAndSet(null);
                if (e != null) {
                    throw e;
                }
            }
        };
        cache = system.newCache("t", store, PAGE, () -> 64L * PAGE);

        failure.set(new AssertionError("injected on the loop"));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> cache.insertAndFillWithoutWaiting(3, 4))
                .hasMessage("injected on the loop");
        assertThat(cache.get(3)).as("the loop's page is gone").isNull();
        assertThat(system.usedBytes()).isZero();

        failure.set(new AssertionError("injected on a worker"));
        List<Page> run = cache.insertAbsent(3, 4, null);
        assertThat(run).hasSize(1);
        try {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> cache.fill(run)).hasMessage("injected on a worker");
        } finally {
            PageCache.unlockAll(run);
        }
        assertThat(cache.get(3)).as("the worker's page is gone").isNull();
        assertThat(system.usedBytes()).isZero();
        assertThat(fill(3)).as("and the next miss fills it").isTrue();
    }

    @Test
    void neverCarvesASlab() {
        cacheOf(16);
        PagePool pool = system.pool(PAGE);
        List<PagePool.Frame> taken = new java.util.ArrayList<>();
        for (PagePool.Frame f; (f = pool.tryAllocate()) != null; ) {
            taken.add(f);
        }
        assertThat(taken).as("the slab carved when the pool was made").hasSize(256);
        assertThat(fill(3)).as("an empty pool is a worker's to grow").isFalse();
        assertThat(system.usedBytes()).isZero();
        taken.forEach(pool::free);
        assertThat(fill(3)).isTrue();
    }

    @Test
    void aFullBudgetIsReclaimedOnlyIfTheClockIsFree() throws Exception {
        cacheOf(4);
        for (long i = 0; i < 4; i++) {
            assertThat(fill(i)).isTrue();
        }
        assertThat(system.usedBytes()).isEqualTo(4L * PAGE);
        try (HeldMutex h = new HeldMutex(system.clock().mutexForTests())) {
            assertThat(fill(5)).as("reclaim would wait for the clock").isFalse();
            for (long i = 0; i < 4; i++) {
                assertThat(cache.get(i)).as("page %d is still cached", i).isNotNull();
            }
        }
        assertThat(fill(5)).as("reclaims clean pages now").isTrue();
        assertThat(cache.get(5)).isNotNull();
        assertThat(system.usedBytes()).isLessThanOrEqualTo(4L * PAGE);
    }
}
