package io.blockhaus.s3.ownership;

import java.util.concurrent.TimeUnit;

/**
 * This server's clocks, as ownership uses them: a monotonic clock for every duration it measures
 * itself, and the wall clock only as a second opinion on the same machine (a machine that was
 * suspended has a monotonic clock that stood still while the wall clock went on; see
 * {@link OwnerLease}). Never compared with another machine's clock. Injected so tests drive time.
 */
interface LeaseClock {

    /** Monotonic nanoseconds, as {@link System#nanoTime()}. */
    long nanoTime();

    /** Wall-clock milliseconds, as {@link System#currentTimeMillis()}. */
    long wallMillis();

    /** Returns once {@link #nanoTime()} has reached {@code deadline}. */
    void sleepUntil(long deadline) throws InterruptedException;

    LeaseClock SYSTEM = new LeaseClock() {
        @Override
        public long nanoTime() {
            return System.nanoTime();
        }

        @Override
        public long wallMillis() {
            return System.currentTimeMillis();
        }

        @Override
        public void sleepUntil(long deadline) throws InterruptedException {
            for (long left = deadline - System.nanoTime(); left > 0; left = deadline - System.nanoTime()) {
                TimeUnit.NANOSECONDS.sleep(left);
            }
        }
    };
}
