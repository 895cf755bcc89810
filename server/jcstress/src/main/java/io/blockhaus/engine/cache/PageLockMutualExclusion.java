package io.blockhaus.engine.cache;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.blockhaus.engine.store.MemoryStore;
import java.util.List;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.JJ_Result;

/**
 * The page is its own lock ({@link PageLock}): two actors each add one to a counter in the
 * page's memory and in a plain field of the state, under {@link Page#lock()} (the barging
 * {@code tryLock} and, when busy, the bounded queued wait) and one reentrant hold, then
 * unlock twice. If the lock ever let both in, or an unlock did not publish the holder's writes
 * to the next holder, one increment is lost and a counter ends at 1. Two actors: jcstress skips
 * a test that needs more threads than this machine's two CPUs.
 */
@JCStressTest
@Outcome(id = "2, 2", expect = Expect.ACCEPTABLE, desc = "each increment under the lock, seen by the next holder")
@Outcome(expect = Expect.FORBIDDEN, desc = "an increment lost: both held the lock, or a release did not publish")
@State
public class PageLockMutualExclusion {
    private static final int PAGE = 4096;

    private final CacheSystem system = new CacheSystem(1 << 20, 0.5, 0.75, Long.MAX_VALUE / 4, 1_000_000_000L,
            System::nanoTime);
    private final Page page;
    /** Written only under the page lock; plain, so only the lock orders it. */
    private long plain;

    public PageLockMutualExclusion() {
        PageCache cache = system.newCache("jcstress", new MemoryStore(PAGE), PAGE, () -> PAGE);
        List<Page> run = cache.insertAbsent(0, 1, null);
        cache.fill(run);
        PageCache.unlockAll(run);
        page = run.getFirst();
    }

    private void increment() {
        page.lock();
        try {
            if (!page.tryLock()) { // reentrant for its owner
                throw new AssertionError("the owner could not take its own lock again");
            }
            try {
                page.memory().set(JAVA_LONG, 0, page.memory().get(JAVA_LONG, 0) + 1);
                plain++;
            } finally {
                page.unlock();
            }
        } finally {
            page.unlock();
        }
    }

    @Actor
    public void first() {
        increment();
    }

    @Actor
    public void second() {
        increment();
    }

    @Arbiter
    public void after(JJ_Result r) {
        page.lock();
        try {
            r.r1 = page.memory().get(JAVA_LONG, 0);
            r.r2 = plain;
        } finally {
            page.unlock();
        }
        system.close();
    }
}
