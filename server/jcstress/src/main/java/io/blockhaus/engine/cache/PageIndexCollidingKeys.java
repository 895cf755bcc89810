package io.blockhaus.engine.cache;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * {@link PageIndex}'s lock-free lookups against writers of the same probe run. Keys {@code B}
 * and {@code A} hash to the same stripe and the same home slot, inserted in that order, so
 * {@code A} sits behind {@code B} in the run; the stripe is filled to the brim of its load, so
 * the insert of {@code C} (the same home slot again) grows the table. One actor removes {@code B}
 * (which shifts {@code A} back into its slot), one inserts {@code C} (which replaces the table),
 * and two look up {@code A} and {@code B} meanwhile. A lookup of {@code A}, present throughout,
 * must find {@code A}'s page; a lookup of {@code B} finds {@code B}'s page or nothing, never
 * another key's page.
 */
@JCStressTest
@Outcome(id = {"1, 1, 1", "1, 0, 1"}, expect = Expect.ACCEPTABLE, desc = "A found; B found or already removed")
@Outcome(id = "0, .*", expect = Expect.FORBIDDEN, desc = "A, present throughout, was missed")
@Outcome(id = "-1, .*", expect = Expect.FORBIDDEN, desc = "the lookup of A returned another key's page")
@Outcome(id = ".*, -1, .*", expect = Expect.FORBIDDEN, desc = "the lookup of B returned another key's page")
@Outcome(expect = Expect.FORBIDDEN, desc = "anything else (C not indexed after the race)")
@State
public class PageIndexCollidingKeys {
    /** Keys of one stripe and one home slot in a 16-slot table: {@code B}, {@code A}, {@code C}, then fillers of the stripe. */
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
    public void removeB() {
        index.remove(KEYS[0], b);
    }

    @Actor
    public void insertC() {
        index.putIfAbsent(KEYS[2], c);
        index.putIfAbsent(KEYS[3 + FILLERS], page()); // past half the slots: the table grows
    }

    @Actor
    public void lookupA(III_Result r) {
        Page p = index.get(KEYS[1]);
        r.r1 = p == a ? 1 : p == null ? 0 : -1;
    }

    @Actor
    public void lookupB(III_Result r) {
        Page p = index.get(KEYS[0]);
        r.r2 = p == b ? 1 : p == null ? 0 : -1;
        r.r3 = 1;
    }

    @org.openjdk.jcstress.annotations.Arbiter
    public void after(III_Result r) {
        if (index.get(KEYS[2]) != c || index.get(KEYS[0]) != null || index.get(KEYS[1]) != a) {
            r.r3 = 0;
        }
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
