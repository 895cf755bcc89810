package io.blockhaus.engine.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.blockhaus.engine.ForwardingStore;
import io.blockhaus.engine.call.CallBudget;
import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import io.blockhaus.engine.events.CacheListener;
import io.blockhaus.engine.events.ReadaheadListener;
import io.blockhaus.engine.events.WritebackListener;
import io.blockhaus.engine.store.MemoryStore;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link DirtyThrottle} on its own, over a hand-driven clock and no background thread: what it
 * promises writers at each ratio (left alone, the background writer woken, writing back
 * themselves, not held up by another volume's broken disk, failing with the disk's errno past
 * the memory wait) and what a background pass writes (expired pages, then down to the ratio and
 * no further; nothing but the due retry while a volume fails). Store writes are counted, so
 * "in runs" and "no write storm" are exact. The failing-disk behaviour end to end, with
 * throttled writer threads, is {@code WritebackFailureTest}'s.
 */
class DirtyThrottleTest {
    private static final int PAGE = 4096;
    private static final int BUDGET_PAGES = 256;
    private static final int BACKGROUND_PAGES = 64; // 0.25
    private static final int HARD_PAGES = 128; // 0.50
    private static final long EXPIRE = 5_000_000_000L;
    private static final long MEMORY_WAIT = 30_000_000_000L;

    private final AtomicLong clock = new AtomicLong(1_000_000_000L);
    private final CacheSystem system = new CacheSystem((long) BUDGET_PAGES * PAGE, 0.25, 0.50, EXPIRE, MEMORY_WAIT,
            clock::get);
    private final AtomicInteger throttledEvents = new AtomicInteger();
    private final AtomicInteger kicks = new AtomicInteger();
    private final CountingStore a = new CountingStore();
    private final CountingStore b = new CountingStore();
    private final PageCache va = volume("a", a);
    private final PageCache vb = volume("b", b);

    @AfterEach
    void close() {
        system.close();
    }

    /** A memory store that counts its writes and fails them with an errno while told to. */
    private static final class CountingStore extends ForwardingStore {
        final AtomicInteger writes = new AtomicInteger();
        volatile Errno failWith;

        CountingStore() {
            super(new MemoryStore((long) 2 * BUDGET_PAGES * PAGE));
        }

        @Override
        public void write(long offset, ByteBuffer[] srcs) {
            writes.incrementAndGet();
            Errno e = failWith;
            if (e != null) {
                throw new ErrnoException(e, "injected");
            }
            super.write(offset, srcs);
        }
    }

    private PageCache volume(String name, CountingStore store) {
        WritebackListener events = new WritebackListener() {
            @Override
            public void throttled() {
                throttledEvents.incrementAndGet();
            }
        };
        return system.newCache(name, store, PAGE, () -> (long) 2 * BUDGET_PAGES * PAGE, CacheListener.NONE,
                ReadaheadListener.NONE, events);
    }

    private DirtyThrottle throttle(List<PageCache> caches, long memoryWait) {
        DirtyThrottle t = new DirtyThrottle(system.budget(), caches, EXPIRE, memoryWait, clock::get);
        t.onBackgroundThreshold(kicks::incrementAndGet);
        return t;
    }

    /** Dirties {@code count} pages of {@code c} from {@code first}, {@code stride} apart (1: one run). */
    private static void dirty(PageCache c, long first, int count, int stride) {
        for (int i = 0; i < count; i++) {
            long idx = first + (long) i * stride;
            List<Page> run = c.insertAbsent(idx, idx + 1, null);
            assertThat(run).as("page %d inserted", idx).hasSize(1);
            c.fill(run);
            Page p = run.getFirst();
            c.markDirty(p);
            p.unlock();
        }
    }

    private long dirtyPages() {
        return system.dirtyBytes() / PAGE;
    }

    @Test
    void atTheBackgroundRatioAWriterIsLeftAloneAndAboveItTheBackgroundWriterIsWoken() {
        DirtyThrottle t = throttle(List.of(va), MEMORY_WAIT);
        dirty(va, 0, BACKGROUND_PAGES, 1);
        t.balanceDirty(va, CallBudget.NONE);
        assertThat(kicks.get()).as("not over the background ratio: nobody woken").isZero();

        dirty(va, BACKGROUND_PAGES, 1, 1);
        t.balanceDirty(va, CallBudget.NONE);
        assertThat(kicks.get()).as("over it: the background writer woken").isEqualTo(1);
        assertThat(a.writes.get()).as("the writer itself writes nothing below the hard ratio").isZero();
        assertThat(throttledEvents.get()).isZero();
        assertThat(dirtyPages()).isEqualTo(BACKGROUND_PAGES + 1);
    }

    @Test
    void aboveTheHardRatioAWriterWritesBackItselfInRunsFromEveryVolume() {
        DirtyThrottle t = throttle(List.of(va, vb), MEMORY_WAIT);
        dirty(va, 0, 20, 1); // one run of 20
        dirty(vb, 0, HARD_PAGES - 20 + 10, 2); // 118 single pages: 10 over the hard ratio together

        t.balanceDirty(va, CallBudget.NONE);
        assertThat(dirtyPages()).as("back under the hard ratio").isLessThanOrEqualTo(HARD_PAGES);
        assertThat(throttledEvents.get()).as("one throttle event per call, however many rounds").isEqualTo(1);
        assertThat(va.dirtyPages()).as("a's run written").isZero();
        assertThat(a.writes.get()).as("as one gather write").isEqualTo(1);
        assertThat(b.writes.get()).as("b's pages too: writeback takes the volumes in turn").isPositive();
        assertThat(vb.dirtyPages()).as("but only a round's worth, not everything")
                .isGreaterThanOrEqualTo(HARD_PAGES - 20 + 10 - CacheSystem.RECLAIM_BATCH);
    }

    @Test
    void aHealthyWriterIsNotHeldUpByAnotherVolumesFailingDiskWhoseWriterFailsWithItsErrno() {
        CountingStore failing = a;
        CountingStore healthy = b;
        PageCache vf = va;
        PageCache vh = vb;
        DirtyThrottle t = throttle(List.of(vf, vh), 0); // no memory wait: the failing writer's one wait is its last
        dirty(vf, 0, HARD_PAGES + 8, 1);
        failing.failWith = Errno.ENOSPC;
        assertThat(t.writebackSome(CacheSystem.RECLAIM_BATCH)).as("the failure").isZero();
        assertThat(failing.writes.get()).isEqualTo(1);
        assertThat(vf.writebackFailing()).isTrue();

        t.balanceDirty(vh, CallBudget.NONE); // returns: nothing of its own to write, and its disk is fine
        assertThat(failing.writes.get()).as("the failing volume's retry is not due: not tried again").isEqualTo(1);
        assertThat(healthy.writes.get()).isZero();

        assertThatThrownBy(() -> t.balanceDirty(vf, CallBudget.NONE))
                .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOSPC));
        assertThat(failing.writes.get()).as("still no retry: the delay has not passed on the clock").isEqualTo(1);
        assertThat(vf.dirtyPages()).as("nothing dropped").isEqualTo(HARD_PAGES + 8);
        assertThat(t.throttledWriters()).as("the waiter list is clean").isZero();
    }

    @Test
    void aBackgroundPassWritesExpiredPagesThenDownToTheBackgroundRatioAndNoFurther() {
        DirtyThrottle t = throttle(List.of(va, vb), MEMORY_WAIT);
        dirty(va, 0, 4, 1);
        clock.addAndGet(EXPIRE + 1);
        dirty(vb, 0, 100, 2); // young, one page per run

        assertThat(t.backgroundPass()).as("not stuck").isFalse();
        assertThat(va.dirtyPages()).as("a's expired pages written").isZero();
        assertThat(a.writes.get()).as("in one run").isEqualTo(1);
        assertThat(dirtyPages()).as("down to the background ratio")
                .isLessThanOrEqualTo(BACKGROUND_PAGES)
                .as("and not much further: young pages stay dirty")
                .isGreaterThan(BACKGROUND_PAGES - CacheSystem.RECLAIM_BATCH);
    }

    @Test
    void aBackgroundPassOverAFailingVolumeIsStuckAndTriesOnlyTheDueRetry() {
        DirtyThrottle t = throttle(List.of(va), MEMORY_WAIT);
        dirty(va, 0, 80, 1);
        a.failWith = Errno.EIO;

        assertThat(t.backgroundPass()).as("nothing written and the volume failing: stuck").isTrue();
        assertThat(t.backgroundPass()).isTrue();
        assertThat(a.writes.get()).as("one failed write, not one per pass").isEqualTo(1);

        a.failWith = null;
        clock.addAndGet(WritebackBackoff.MIN_DELAY_NANOS);
        assertThat(t.backgroundPass()).as("the retry was due and the disk healed").isFalse();
        assertThat(va.writebackFailing()).isFalse();
        assertThat(dirtyPages()).isLessThanOrEqualTo(BACKGROUND_PAGES);
        assertThat(a.writes.get()).isEqualTo(2); // one run of 80
    }
}
