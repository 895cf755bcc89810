package io.blockhaus.engine.cache;

/**
 * When one volume's writeback, having failed, may be tried again by anyone who is not a client
 * asking for it: the background writer, throttled writers, allocators looking for memory.
 *
 * <p>Without it a failing disk turns into a write storm: every writer above the dirty limit and
 * every allocation short of memory retried every dirty run of the volume, once per page it wrote,
 * each retry one more failing system call. With it, after a failure the volume's pages are left
 * alone for a delay that starts at {@link #MIN_DELAY_NANOS} and doubles with each failure in a
 * row up to {@link #MAX_DELAY_NANOS}; when the delay is over exactly one thread {@linkplain
 * #tryClaim claims} the retry, so the retries over any stretch of time are bounded by its length
 * divided by the delay, however many threads want memory. A success ends the backoff.
 *
 * <p>What it does not hold back: a client's flush or FUA write, which always tries its own pages
 * (the client asked; its reply carries the outcome), and a shootdown (direct I/O, punch), which
 * must write back what it is about to remove. Time is the cache system's injected clock, so
 * tests advance it by hand.
 */
final class WritebackBackoff {
    static final long MIN_DELAY_NANOS = 100_000_000L; // 100 ms
    static final long MAX_DELAY_NANOS = 5_000_000_000L; // 5 s: space freed is used within seconds

    private volatile boolean failing; // read without the lock on every successful run
    private long delay; // guarded by this
    private long retryAt; // guarded by this
    private boolean claimed; // guarded by this: a retry was claimed and has not ended yet

    /** Whether the latest writeback of the volume failed (none has succeeded since). */
    boolean failing() {
        return failing;
    }

    /**
     * Whether the caller may write the volume back now. Always while it is healthy; while it is
     * failing, true for the one caller that comes first once the delay is over, which holds the
     * retry until it {@linkplain #failed fails} or {@linkplain #succeeded succeeds} (others meanwhile
     * get false for one more delay).
     */
    boolean tryClaim(long now) {
        return !failing || claimRetry(now); // healthy: no lock on the way to every writeback
    }

    private synchronized boolean claimRetry(long now) {
        if (!failing) {
            return true;
        }
        if (now - retryAt < 0) {
            return false;
        }
        retryAt = now + delay;
        claimed = true;
        return true;
    }

    /** Nanoseconds until the next retry may be claimed: 0 when healthy or due. */
    synchronized long nanosUntilRetry(long now) {
        return failing ? Math.max(0, retryAt - now) : 0;
    }

    /**
     * A writeback of the volume failed. The first failure starts the backoff; a failed retry
     * doubles the delay. Other failures while failing (a client's flush, which does not wait
     * for the backoff, or writebacks that began before the first failure) leave the schedule as
     * it is: n threads failing at once are one failure in a row, not n.
     */
    synchronized void failed(long now) {
        if (!failing) {
            delay = MIN_DELAY_NANOS;
            retryAt = now + delay;
            failing = true;
        } else if (claimed) {
            delay = Math.min(2 * delay, MAX_DELAY_NANOS);
            retryAt = now + delay;
        }
        claimed = false;
    }

    void succeeded() {
        if (failing) {
            synchronized (this) {
                failing = false;
                claimed = false;
                delay = 0;
            }
        }
    }
}
