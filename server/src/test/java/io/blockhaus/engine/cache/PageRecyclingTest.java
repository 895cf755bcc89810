package io.blockhaus.engine.cache;

import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.engine.store.MemoryStore;
import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Page objects recycled with their frames (see "Identity" in {@link Page}): misses re-key the
 * pool's pages instead of making new ones, a reference to a page that was recycled is noticed by
 * whoever locks it, and a removed page's memory and budget come back at its last unlock.
 */
class PageRecyclingTest {
    private static final int PAGE = 4096;
    private static final int BUDGET_PAGES = 64;
    private static final int FRAMES_PER_SLAB = (1 << 20) / PAGE;

    private final CacheSystem system = new CacheSystem((long) BUDGET_PAGES * PAGE, 0.5, 0.75, Long.MAX_VALUE / 4,
            1_000_000_000L, System::nanoTime);

    @AfterEach
    void close() {
        system.close();
    }

    /** A store whose page i begins with the long i, so a page's bytes say which page they are. */
    private static MemoryStore numberedStore(int pages) {
        MemoryStore store = new MemoryStore((long) pages * PAGE);
        for (long i = 0; i < pages; i++) {
            store.write(i * PAGE, ByteBuffer.allocate(8).order(java.nio.ByteOrder.nativeOrder()).putLong(0, i));
        }
        return store;
    }

    private static Page cacheAndLock(PageCache c, long idx) {
        Page p = c.lookupLocked(idx);
        if (p != null) {
            return p;
        }
        List<Page> run = c.insertAbsent(idx, idx + 1, null);
        assertThat(run).as("page %d inserted", idx).hasSize(1);
        c.fill(run);
        return run.getFirst();
    }

    @Test
    void missesUnderAFullBudgetReuseThePoolsPageObjects() {
        long seed = Long.getLong("recycle.seed", new SplittableRandom().nextLong());
        System.out.println("PageRecyclingTest seed=" + seed + "   (replay: -Drecycle.seed=" + seed + ")");
        SplittableRandom rnd = new SplittableRandom(seed);
        int pages = 16 * BUDGET_PAGES;
        PageCache c = system.newCache("v", numberedStore(pages), PAGE, () -> (long) pages * PAGE);
        Set<Page> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        int misses = 0;
        for (int n = 0; n < 20 * BUDGET_PAGES; n++) {
            long idx = rnd.nextLong(pages);
            misses += c.get(idx) == null ? 1 : 0;
            Page p = cacheAndLock(c, idx);
            try {
                assertThat(p.isPageOf(c, idx)).isTrue();
                assertThat(p.memory().get(JAVA_LONG_UNALIGNED, 0)).as("seed %d: bytes of page %d", seed, idx).isEqualTo(idx);
                seen.add(p);
            } finally {
                p.unlock();
            }
        }
        assertThat(misses).as("seed %d: most reads missed", seed).isGreaterThan(10 * BUDGET_PAGES);
        assertThat(seen.size()).as("seed %d: page objects for %d misses: at most one per frame of the one slab carved", seed,
                misses).isLessThanOrEqualTo(FRAMES_PER_SLAB);
        assertThat(system.usedBytes()).isLessThanOrEqualTo((long) BUDGET_PAGES * PAGE);
    }

    @Test
    void aStaleReferenceToARecycledPageIsNoticedByWhoeverLocksIt() {
        PageCache a = system.newCache("a", numberedStore(4), PAGE, () -> 4L * PAGE);
        PageCache b = system.newCache("b", numberedStore(4), PAGE, () -> 4L * PAGE);
        Page stale = cacheAndLock(a, 0);
        stale.unlock();
        assertThat(a.get(0)).isSameAs(stale);

        Page p = a.lockedAt(0);
        a.remove(p);
        p.unlock();
        Page again = cacheAndLock(b, 3); // another volume's miss: the frame just freed, the same object
        again.unlock();
        assertThat(again).as("the page object was recycled").isSameAs(stale);

        assertThat(stale.tryLock()).isTrue();
        try {
            assertThat(stale.isPageOf(a, 0)).as("no longer page 0 of a").isFalse();
            assertThat(stale.isPageOf(b, 3)).as("now page 3 of b").isTrue();
            assertThat(stale.memory().get(JAVA_LONG_UNALIGNED, 0)).isEqualTo(3L);
        } finally {
            stale.unlock();
        }
        assertThat(a.lookupLocked(0)).as("a's lookup does not take b's page").isNull();
        assertThat(a.tryLockedAt(0)).isNull();
        assertThat(a.indexesIn(0, 4)).isEmpty();
        assertThat(b.indexesIn(0, 4)).containsExactly(3L);
    }

    @Test
    void aRemovedPagesMemoryComesBackAtItsLastUnlockNotBefore() {
        PageCache c = system.newCache("v", numberedStore(4), PAGE, () -> 4L * PAGE);
        Page p = cacheAndLock(c, 1);
        p.unlock();
        assertThat(system.usedBytes()).isEqualTo((long) PAGE);

        p = c.lockedAt(1);
        p.lock(); // held twice: only the second unlock is the last
        c.remove(p);
        assertThat(c.get(1)).as("unindexed at once").isNull();
        assertThat(c.cachedPages()).isZero();
        p.unlock();
        assertThat(system.usedBytes()).as("still held: its memory is not free").isEqualTo((long) PAGE);
        p.unlock();
        assertThat(system.usedBytes()).as("the last unlock gave it back").isZero();

        p.lock(); // a stale locker: its unlock must not give the page back a second time
        assertThat(p.isLive()).isFalse();
        p.unlock();
        Page q = cacheAndLock(c, 2);
        Page r = cacheAndLock(c, 3);
        try {
            assertThat(q).isSameAs(p);
            assertThat(r).as("the pool held the page once, not twice").isNotSameAs(p);
            assertThat(system.usedBytes()).isEqualTo(2L * PAGE);
        } finally {
            q.unlock();
            r.unlock();
        }
    }
}
