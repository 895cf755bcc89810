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

    @JCStressTest
    @Outcome(id = {"0, 1", "2, 0"}, expect = Expect.ACCEPTABLE, desc = "one hold after the other, the later one saw the earlier's write")
    @Outcome(id = "0, 0", expect = Expect.FORBIDDEN, desc = "ADD and BLOCK held at once, or a release did not publish")
    @Outcome(expect = Expect.FORBIDDEN, desc = "anything else")
    @State
    public static class TwoState {
        private final PagecacheLock lock = PagecacheLock.create(LockPolicy.TWO_STATE, LockListener.NONE);
        private int mark;

        @Actor
        public void adder(II_Result r) {
            try (PagecacheLock.Hold h = lock.acquire(LockMode.ADD, 0, 8, WAIT)) {
                r.r1 = mark;
                mark = 1;
            }
        }

        @Actor
        public void blocker(II_Result r) {
            try (PagecacheLock.Hold h = lock.acquire(LockMode.BLOCK, 0, 8, WAIT)) {
                r.r2 = mark;
                mark = 2;
            }
        }
    }

    @JCStressTest
    @Outcome(id = {"0, 1", "2, 0"}, expect = Expect.ACCEPTABLE, desc = "one hold after the other, the later one saw the earlier's write")
    @Outcome(id = "0, 0", expect = Expect.FORBIDDEN, desc = "overlapping ADD and BLOCK held at once, or a release did not publish")
    @Outcome(expect = Expect.FORBIDDEN, desc = "anything else")
    @State
    public static class RangeOverlapping {
        private final PagecacheLock lock = PagecacheLock.create(LockPolicy.RANGE, LockListener.NONE);
        private int mark;

        @Actor
        public void adder(II_Result r) {
            try (PagecacheLock.Hold h = lock.acquire(LockMode.ADD, 0, 8, WAIT)) {
                r.r1 = mark;
                mark = 1;
            }
        }

        @Actor
        public void blocker(II_Result r) {
            try (PagecacheLock.Hold h = lock.acquire(LockMode.BLOCK, 7, Long.MAX_VALUE, WAIT)) {
                r.r2 = mark;
                mark = 2;
            }
        }
    }
}
