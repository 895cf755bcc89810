package io.blockhaus.engine.lock;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * {@link RangeLock}'s releases never wait for its mutex: a close pushes the hold on a lock-free
 * stack, and whoever is inside the mutex applies it before leaving. These tests race a release
 * against requests that keep the mutex busy and check that no release is ever stranded.
 */
public final class PagecacheLockRelease {
    private static final long WAIT = 10_000_000_000L;

    private PagecacheLockRelease() {
    }

    /**
     * An ADD is released while a BLOCK try on the same range runs: the try may or may not see
     * the release, but once both are done the release has been applied (the arbiter's try gets in).
     */
    @JCStressTest
    @Outcome(id = {"1, 1", "0, 1"}, expect = Expect.ACCEPTABLE, desc = "the try saw the release or not; it was applied in the end")
    @Outcome(expect = Expect.FORBIDDEN, desc = "a release was stranded on the stack")
    @State
    public static class RangeReleaseAgainstTry {
        private final PagecacheLock lock = PagecacheLock.create(LockPolicy.RANGE, LockListener.NONE);
        private final PagecacheLock.Hold add = lock.acquire(LockMode.ADD, 0, 8, WAIT);

        @Actor
        public void releaser() {
            add.close();
        }

        @Actor
        public void trier(II_Result r) {
            r.r1 = PagecacheLockTry.got(lock.tryAcquire(LockMode.BLOCK, 0, 8));
        }

        @Arbiter
        public void after(II_Result r) {
            r.r2 = PagecacheLockTry.got(lock.tryAcquire(LockMode.BLOCK, 0, 8));
        }
    }

    /**
     * An ADD is taken and released while a BLOCK on an overlapping range is being queued, or not,
     * depending on who came first: a release that finds the BLOCK's thread inside the mutex is
     * applied by that thread on its way out, which grants its own, just-queued request. The
     * BLOCK is granted in every interleaving (a bounded wait reports 0 rather than hang the run).
     * The ADD is taken by an actor, not in the constructor: jcstress builds states on actor
     * threads, and a hold of the waiter's own thread would rightly be EDEADLOCK. (Two actors:
     * jcstress skips tests with more actors than the machine has CPUs.)
     */
    @JCStressTest
    @Outcome(id = "1, 1", expect = Expect.ACCEPTABLE, desc = "both granted, one after the other")
    @Outcome(expect = Expect.FORBIDDEN, desc = "a request was never granted: a release was stranded")
    @State
    public static class RangeReleaseWakesWaiter {
        private final PagecacheLock lock = PagecacheLock.create(LockPolicy.RANGE, LockListener.NONE);

        @Actor
        public void adder(II_Result r) {
            r.r1 = bounded(LockMode.ADD, 0, 8);
        }

        @Actor
        public void blocker(II_Result r) {
            r.r2 = bounded(LockMode.BLOCK, 4, 12);
        }

        private int bounded(LockMode mode, long first, long end) {
            try {
                return PagecacheLockTry.got(lock.acquire(mode, first, end, WAIT));
            } catch (RuntimeException e) {
                return 0;
            }
        }
    }
}
