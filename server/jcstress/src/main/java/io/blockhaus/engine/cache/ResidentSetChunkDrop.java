package io.blockhaus.engine.cache;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * A chunk of {@link ResidentSet} is dropped when its last page leaves; a page of the same chunk
 * added meanwhile must survive that. Page 2 is cached; one actor adds page 1, the other removes
 * page 2: afterwards exactly page 1 is there, in one chunk.
 */
@JCStressTest
@Outcome(id = "1, 0, 1", expect = Expect.ACCEPTABLE, desc = "page 1 kept, page 2 gone, one chunk")
@Outcome(id = "0, 0, 0", expect = Expect.FORBIDDEN, desc = "the add was lost with the dropped chunk")
@Outcome(expect = Expect.FORBIDDEN, desc = "anything else")
@State
public class ResidentSetChunkDrop {
    private final ResidentSet set = new ResidentSet();

    public ResidentSetChunkDrop() {
        set.add(2);
    }

    @Actor
    public void adder() {
        set.add(1);
    }

    @Actor
    public void remover() {
        set.remove(2);
    }

    @Arbiter
    public void check(III_Result r) {
        r.r1 = set.anyIn(1, 2) ? 1 : 0;
        r.r2 = set.anyIn(2, 3) ? 1 : 0;
        r.r3 = set.chunkCount();
    }
}
