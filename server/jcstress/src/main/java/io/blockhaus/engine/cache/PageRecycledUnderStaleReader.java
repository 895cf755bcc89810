package io.blockhaus.engine.cache;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import io.blockhaus.engine.store.MemoryStore;
import java.nio.ByteBuffer;
import java.util.List;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * A page object is recycled with its frame (see "Identity" in {@link Page}): page 0 (bytes 10)
 * is cached; one actor removes it and caches page 1 (bytes 11), which re-keys the very same page
 * object (the pool hands the frame just freed out first: the arbiter checks it did). Meanwhile
 * the reader locks the reference it found for page 0 before the race (a stale reference), then
 * looks page 1 up (two actors: jcstress skips a test that needs more threads than the machine's
 * two CPUs). The stale reference must give page 0's bytes or show
 * the page is no longer page 0's, never page 1's bytes as page 0's; the lookup of page 1 must
 * find nothing or page 1's bytes, never the frame's old bytes (a page seen before its fill).
 */
@JCStressTest
@Outcome(id = {"10, -1, 1", "10, 11, 1", "-2, -1, 1", "-2, 11, 1"}, expect = Expect.ACCEPTABLE,
        desc = "page 0's bytes, or page 0 noticed gone; page 1 absent or filled; the object was recycled")
@Outcome(id = "11, .*", expect = Expect.FORBIDDEN, desc = "the stale reader took page 1's bytes for page 0's")
@Outcome(id = ".*, 10, .*", expect = Expect.FORBIDDEN, desc = "page 1 was seen before its fill (the frame's old bytes)")
@Outcome(id = ".*, 0", expect = Expect.FORBIDDEN, desc = "page 1 is not the recycled object of page 0")
@Outcome(expect = Expect.FORBIDDEN, desc = "anything else")
@State
public class PageRecycledUnderStaleReader {
    private static final int PAGE = 4096;

    private final CacheSystem system = new CacheSystem(1 << 20, 0.5, 0.75, Long.MAX_VALUE / 4, 1_000_000_000L,
            System::nanoTime);
    private final PageCache cache;
    private final Page page0;
    /** The reference the stale reader found before the race (it locks it only in its actor). */
    private final Page stale;

    public PageRecycledUnderStaleReader() {
        MemoryStore store = new MemoryStore(2 * PAGE);
        store.write(0, ByteBuffer.wrap(filled(10)));
        store.write(PAGE, ByteBuffer.wrap(filled(11)));
        cache = system.newCache("jcstress", store, PAGE, () -> 2 * PAGE);
        List<Page> run = cache.insertAbsent(0, 1, null);
        cache.fill(run);
        PageCache.unlockAll(run);
        page0 = run.getFirst();
        stale = cache.get(0);
    }

    @Actor
    public void removeAndRecycle() {
        Page p = cache.lockedAt(0);
        cache.remove(p);
        p.unlock(); // the last unlock: the page goes back to the pool
        List<Page> run = cache.insertAbsent(1, 2, null); // re-keys the same page object
        cache.fill(run);
        PageCache.unlockAll(run);
    }

    @Actor
    public void reader(III_Result r) {
        stale.lock();
        try {
            r.r1 = stale.isPageOf(cache, 0) ? stale.memory().get(JAVA_BYTE, 0) : -2;
        } finally {
            stale.unlock();
        }
        if (r.r1 == -2) {
            Page p = cache.lookupLocked(0); // and a fresh lookup agrees that page 0 is gone
            if (p != null) {
                r.r1 = -3;
                p.unlock();
            }
        }
        Page p = cache.lookupLocked(1);
        if (p == null) {
            r.r2 = -1;
            return;
        }
        try {
            r.r2 = p.memory().get(JAVA_BYTE, 0);
        } finally {
            p.unlock();
        }
    }

    @Arbiter
    public void after(III_Result r) {
        r.r3 = cache.get(1) == page0 ? 1 : 0;
        system.close();
    }

    private static byte[] filled(int b) {
        byte[] a = new byte[PAGE];
        java.util.Arrays.fill(a, (byte) b);
        return a;
    }
}
