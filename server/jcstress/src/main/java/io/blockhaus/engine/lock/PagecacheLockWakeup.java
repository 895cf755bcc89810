package io.blockhaus.engine.lock;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Mode;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.Signal;
import org.openjdk.jcstress.annotations.State;

/**
 * A waiter of one mode is woken when the last holder of the other mode releases, however the
 * release and the start of the wait interleave: no lost wake-up (termination mode; the waiter's
 * bound is an hour, so only a grant ends its wait in time).
 */
public final class PagecacheLockWakeup {
    private static final long HOUR = 3_600_000_000_000L;

    private PagecacheLockWakeup() {
    }

    /** The lock, held in {@code held} mode from construction until the signal releases it. */
    abstract static class HeldLock {
        final PagecacheLock lock;
        private final PagecacheLock.Hold hold;

        HeldLock(LockPolicy policy, LockMode held) {
            lock = PagecacheLock.create(policy, LockListener.NONE);
            hold = lock.acquire(held, 0, 8, HOUR);
        }

        void release() {
            hold.close();
        }

        void waitFor(LockMode mode, long first, long end) {
            lock.acquire(mode, first, end, HOUR).close();
        }
    }

    @JCStressTest(Mode.Termination)
    @Outcome(id = "TERMINATED", expect = Expect.ACCEPTABLE, desc = "the BLOCK waiter was granted")
    @Outcome(id = "STALE", expect = Expect.FORBIDDEN, desc = "the BLOCK waiter missed the ADD release")
    @State
    public static class TwoStateBlockAfterAdd extends HeldLock {
        public TwoStateBlockAfterAdd() {
            super(LockPolicy.TWO_STATE, LockMode.ADD);
        }

        @Actor
        public void waiter() {
            waitFor(LockMode.BLOCK, 0, 8);
        }

        @Signal
        public void releaser() {
            release();
        }
    }

    @JCStressTest(Mode.Termination)
    @Outcome(id = "TERMINATED", expect = Expect.ACCEPTABLE, desc = "the ADD waiter was granted")
    @Outcome(id = "STALE", expect = Expect.FORBIDDEN, desc = "the ADD waiter missed the BLOCK release")
    @State
    public static class TwoStateAddAfterBlock extends HeldLock {
        public TwoStateAddAfterBlock() {
            super(LockPolicy.TWO_STATE, LockMode.BLOCK);
        }

        @Actor
        public void waiter() {
            waitFor(LockMode.ADD, 0, 8);
        }

        @Signal
        public void releaser() {
            release();
        }
    }

    @JCStressTest(Mode.Termination)
    @Outcome(id = "TERMINATED", expect = Expect.ACCEPTABLE, desc = "the overlapping BLOCK waiter was granted")
    @Outcome(id = "STALE", expect = Expect.FORBIDDEN, desc = "the BLOCK waiter missed the ADD release")
    @State
    public static class RangeBlockAfterAdd extends HeldLock {
        public RangeBlockAfterAdd() {
            super(LockPolicy.RANGE, LockMode.ADD);
        }

        @Actor
        public void waiter() {
            waitFor(LockMode.BLOCK, 4, 12);
        }

        @Signal
        public void releaser() {
            release();
        }
    }
}
