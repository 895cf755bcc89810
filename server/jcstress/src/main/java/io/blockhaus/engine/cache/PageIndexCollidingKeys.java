package io.blockhaus.engine.cache;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;

/**
 * {@link PageIndex}'s lock-free lookups against a writer of the same probe run. Keys {@code B}
 * and {@code A} hash to the same stripe and the same home slot, inserted in that order, so
 * {@code A} sits behind {@code B} in the run; the stripe is filled to the brim of its load. The
 * writer removes {@code B} (which shifts {@code A} back into its slot), inserts {@code C} (the same
 * home slot again) and one more key of the stripe (which grows the table: a new one replaces
 * it); the reader looks up {@code A}, {@code B} and {@code C} meanwhile. (Two actors: jcstress
 * skips a test that needs more threads than the machine's two CPUs.) The lookup of {@code A},
 * present throughout, must find {@code A}'s page; the others find their own page or nothing,
 * never another key's.
 */
@JCStressTest
@Outcome(id = {"1, 1, 1, 1", "1, 1, 0, 1", "1, 0, 0, 1", "1, 0, 1, 1"}, expect = Expect.ACCEPTABLE,
        desc = "A found; B found or already removed; C found or not yet inserted")
@Outcome(id = "0, .*", expect = Expect.FORBIDDEN, desc = "A, present throughout, was missed")
@Outcome(id = "-1, .*", expect = Expect.FORBIDDEN, desc = "the lookup of A returned another key's page")
@Outcome(id = ".*, -1, .*", expect = Expect.FORBIDDEN, desc = "a lookup of B or C returned another key's page")
@Outcome(expect = Expect.FORBIDDEN, desc = "anything else (the index wrong after the race)")
@State
public class PageIndexCollidingKeys {
    /** Keys of one stripe: {@code B}, {@code A}, {@code C} of one home slot in a 16-slot table, then others. */
    private static final long[] KEYS = collidingKeys();
    private static final int FILLERS = 5; // with B and A: 7 of 16 slots; C makes 8, the most before growing

    private final PageIndex index = new PageIndex(0); // 16 slots per stripe
    private final Page a = page();
    private final Page b = page();
    private final Page c = page();

    public PageIndexCollidingKeys() {
        index.putIfAbsent(KEYS[0], b);
        index.putIfAbsent(KEYS[1], a);
        for (int i = 0; i < FILLERS; i++) {
            index.putIfAbsent(KEYS[3 + i], page());
        }
    }

    @Actor
    public void writer() {
        index.remove(KEYS[0], b);
        index.putIfAbsent(KEYS[2], c);
        index.putIfAbsent(KEYS[3 + FILLERS], page()); // past half the slots: the table grows
    }

    @Actor
    public void reader(IIII_Result r) {
        r.r1 = found(index.get(KEYS[1]), a);
        r.r2 = found(index.get(KEYS[0]), b);
        r.r3 = found(index.get(KEYS[2]), c);
    }

    @Arbiter
    public void after(IIII_Result r) {
        r.r4 = index.get(KEYS[2]) == c && index.get(KEYS[0]) == null && index.get(KEYS[1]) == a ? 1 : 0;
    }

    private static int found(Page p, Page expected) {
        return p == expected ? 1 : p == null ? 0 : -1;
    }

    private static Page page() {
        return new Page(null, new PagePool.Frame(MemorySegment.NULL, ByteBuffer.allocate(0)));
    }

    /**
     * Keys whose {@link PageIndex#mix} falls in stripe 0 (top six bits) and, the first three, in
     * slot 0 of a 16-slot table (low four bits); found by search once per run.
     */
    private static long[] collidingKeys() {
        long[] out = new long[3 + FILLERS + 1];
        int same = 0;
        int other = 3;
        for (long k = 1; same < 3 || other < out.length; k++) {
            long h = PageIndex.mix(k);
            if (h >>> 58 != 0) {
                continue;
            }
            if ((h & 15) == 0 && same < 3) {
                out[same++] = k;
            } else if ((h & 15) != 0 && other < out.length) {
                out[other++] = k;
            }
        }
        return out;
    }
}
