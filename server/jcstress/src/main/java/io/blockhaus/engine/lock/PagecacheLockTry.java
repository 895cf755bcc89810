package io.blockhaus.engine.lock;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * {@link PagecacheLock#tryAcquire}: it fails only when a conflicting holder (or waiter) exists,
 * so of two conflicting tries at least one succeeds, and two that cannot conflict both do. Each
 * actor reports -1 for a refusal, else the mark it read inside its hold (then writes its own).
 */
public final class PagecacheLockTry {
    private PagecacheLockTry() {
    }

    private static int tryMark(PagecacheLockTry.Marked s, LockMode mode, long first, long end, int mine) {
        PagecacheLock.Hold h = s.lock.tryAcquire(mode, first, end);
        if (h == null) {
            return -1;
        }
        try (h) {
            int seen = s.mark;
            s.mark = mine;
            return seen;
        }
    }

    /** A lock and the plain field its holders write. */
    abstract static class Marked {
        final PagecacheLock lock;
        int mark;

        Marked(LockPolicy policy) {
            lock = PagecacheLock.create(policy, LockListener.NONE);
        }
    }

    @JCStressTest
    @Outcome(id = {"0, 1", "2, 0"}, expect = Expect.ACCEPTABLE, desc = "both got it, one after the other")
    @Outcome(id = {"0, -1", "-1, 0"}, expect = Expect.ACCEPTABLE, desc = "one was refused while the other held")
    @Outcome(id = "0, 0", expect = Expect.FORBIDDEN, desc = "ADD and BLOCK held at once")
    @Outcome(id = "-1, -1", expect = Expect.FORBIDDEN, desc = "both refused: each saw a holder that never was")
    @Outcome(expect = Expect.FORBIDDEN, desc = "anything else")
    @State
    public static class TwoStateConflicting extends Marked {
        public TwoStateConflicting() {
            super(LockPolicy.TWO_STATE);
        }

        @Actor
        public void adder(II_Result r) {
            r.r1 = tryMark(this, LockMode.ADD, 0, 1, 1);
        }

        @Actor
        public void blocker(II_Result r) {
            r.r2 = tryMark(this, LockMode.BLOCK, 100, 101, 2); // two-state: ranges do not matter
        }
    }

    @JCStressTest
    @Outcome(id = {"0, 1", "2, 0"}, expect = Expect.ACCEPTABLE, desc = "both got it, one after the other")
    @Outcome(id = {"0, -1", "-1, 0"}, expect = Expect.ACCEPTABLE, desc = "one was refused while the other held")
    @Outcome(id = "0, 0", expect = Expect.FORBIDDEN, desc = "overlapping ADD and BLOCK held at once")
    @Outcome(id = "-1, -1", expect = Expect.FORBIDDEN, desc = "both refused: each saw a holder that never was")
    @Outcome(expect = Expect.FORBIDDEN, desc = "anything else")
    @State
    public static class RangeOverlapping extends Marked {
        public RangeOverlapping() {
            super(LockPolicy.RANGE);
        }

        @Actor
        public void adder(II_Result r) {
            r.r1 = tryMark(this, LockMode.ADD, 0, 16, 1);
        }

        @Actor
        public void blocker(II_Result r) {
            r.r2 = tryMark(this, LockMode.BLOCK, 15, 16, 2);
        }
    }

    /**
     * Disjoint ranges never conflict: both tries succeed (the marks may then race: not checked),
     * unless one found the other inside the range lock's bookkeeping mutex for its whole spin: a
     * try never waits for that mutex, it refuses (the event loop calls it). Both cannot be
     * refused: a try refused for the mutex was refused because the other was inside it.
     */
    @JCStressTest
    @Outcome(id = "1, 1", expect = Expect.ACCEPTABLE, desc = "both got their disjoint ranges")
    @Outcome(id = {"1, 0", "0, 1"}, expect = Expect.ACCEPTABLE_INTERESTING,
            desc = "one try found the other inside the mutex for its whole spin and did not wait")
    @Outcome(expect = Expect.FORBIDDEN, desc = "both refused, with nothing held anywhere")
    @State
    public static class RangeDisjoint {
        private final PagecacheLock lock = PagecacheLock.create(LockPolicy.RANGE, LockListener.NONE);

        @Actor
        public void adder(II_Result r) {
            r.r1 = got(lock.tryAcquire(LockMode.ADD, 0, 16));
        }

        @Actor
        public void blocker(II_Result r) {
            r.r2 = got(lock.tryAcquire(LockMode.BLOCK, 16, 32));
        }
    }

    /** Holders of one mode share: two ADD tries both succeed, under either policy. */
    @JCStressTest
    @Outcome(id = "1, 1", expect = Expect.ACCEPTABLE, desc = "both ADD holders admitted")
    @Outcome(expect = Expect.FORBIDDEN, desc = "an ADD was refused with no BLOCK anywhere")
    @State
    public static class TwoStateSameMode {
        private final PagecacheLock lock = PagecacheLock.create(LockPolicy.TWO_STATE, LockListener.NONE);

        @Actor
        public void first(II_Result r) {
            r.r1 = got(lock.tryAcquire(LockMode.ADD, 0, 1));
        }

        @Actor
        public void second(II_Result r) {
            r.r2 = got(lock.tryAcquire(LockMode.ADD, 0, 1));
        }
    }

    /** 1 for a hold (closed at once), 0 for a refusal. */
    static int got(PagecacheLock.Hold h) {
        if (h == null) {
            return 0;
        }
        h.close();
        return 1;
    }
}
