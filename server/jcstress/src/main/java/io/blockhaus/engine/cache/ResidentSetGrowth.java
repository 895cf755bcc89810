package io.blockhaus.engine.cache;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * {@link ResidentSet}'s tree grows at the top when a page past its reach is added; nothing may
 * be lost to that. Page 3 is cached; one actor adds a page two levels out (the tree grows twice),
 * the other adds a page in a new chunk under the old root and then looks for page 3: it must
 * find it, and afterwards all three pages are there, in three chunks.
 */
@JCStressTest
@Outcome(id = "1, 1, 3", expect = Expect.ACCEPTABLE, desc = "nothing lost to the grow")
@Outcome(id = "0, .*", expect = Expect.FORBIDDEN, desc = "a reader racing the grow missed a present page")
@Outcome(id = "1, 0, .*", expect = Expect.FORBIDDEN, desc = "an add racing the grow was lost")
@Outcome(expect = Expect.FORBIDDEN, desc = "anything else")
@State
public class ResidentSetGrowth {
    private static final long NEAR = 4096L * 7 + 1;
    private static final long FAR = 4096L * ResidentSet.FANOUT * ResidentSet.FANOUT + 5;

    private final ResidentSet set = new ResidentSet();

    public ResidentSetGrowth() {
        set.add(3);
    }

    @Actor
    public void grower() {
        set.add(FAR);
    }

    @Actor
    public void adderThenReader(III_Result r) {
        set.add(NEAR);
        r.r1 = set.anyIn(3, 4) ? 1 : 0;
    }

    @Arbiter
    public void check(III_Result r) {
        r.r2 = set.anyIn(NEAR, NEAR + 1) && set.anyIn(FAR, FAR + 1) ? 1 : 0;
        r.r3 = set.chunkCount();
    }
}
