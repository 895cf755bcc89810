package io.blockhaus.engine.lock;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * ADD and BLOCK exclude each other, and a hold orders what its holder did before the next
 * holder of the other mode (FAILURE_WITNESS-style): each actor, inside its hold, reads a plain
 * field and then writes its own mark. If the holds ever overlapped, or a release did not publish
 * the write, both would read the initial 0.
 */
public final class PagecacheLockExclusion {
    private static final long WAIT = 60_000_000_000L;

    private PagecacheLockExclusion() {
    }

    /** A lock, the plain field its holders write, and the one thing each actor does. */
    abstract static class Marked {
        private final PagecacheLock lock;
        private int mark;

        Marked(LockPolicy policy) {
            lock = PagecacheLock.create(policy, LockListener.NONE);
        }

        /** Inside a hold of {@code mode} on the range: reads the mark, then writes {@code mine}. */
        int mark(LockMode mode, long first, long end, int mine) {
            try (PagecacheLock.Hold h = lock.acquire(mode, first, end, WAIT)) {
                int seen = mark;
                mark = mine;
                return seen;
            }
        }
    }

    @JCStressTest
    @Outcome(id = {"0, 1", "2, 0"}, expect = Expect.ACCEPTABLE, desc = "one hold after the other, the later one saw the earlier's write")
    @Outcome(id = "0, 0", expect = Expect.FORBIDDEN, desc = "ADD and BLOCK held at once, or a release did not publish")
    @Outcome(expect = Expect.FORBIDDEN, desc = "anything else")
    @State
    public static class TwoState extends Marked {
        public TwoState() {
            super(LockPolicy.TWO_STATE);
        }

        @Actor
        public void adder(II_Result r) {
            r.r1 = mark(LockMode.ADD, 0, 8, 1);
        }

        @Actor
        public void blocker(II_Result r) {
            r.r2 = mark(LockMode.BLOCK, 0, 8, 2);
        }
    }

    @JCStressTest
    @Outcome(id = {"0, 1", "2, 0"}, expect = Expect.ACCEPTABLE, desc = "one hold after the other, the later one saw the earlier's write")
    @Outcome(id = "0, 0", expect = Expect.FORBIDDEN, desc = "overlapping ADD and BLOCK held at once, or a release did not publish")
    @Outcome(expect = Expect.FORBIDDEN, desc = "anything else")
    @State
    public static class RangeOverlapping extends Marked {
        public RangeOverlapping() {
            super(LockPolicy.RANGE);
        }

        @Actor
        public void adder(II_Result r) {
            r.r1 = mark(LockMode.ADD, 0, 8, 1);
        }

        @Actor
        public void blocker(II_Result r) {
            r.r2 = mark(LockMode.BLOCK, 7, Long.MAX_VALUE, 2);
        }
    }
}
