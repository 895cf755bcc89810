package io.blockhaus.s3.stripes;

import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import io.blockhaus.s3.objects.ObjectStoreException;

import java.time.Duration;
import java.util.function.Supplier;

/**
 * Runs a request a client is waiting for (a read, the listing at open) until it succeeds, a
 * non-retryable failure comes, or {@code outageWait} has passed: then EIO. Backoff doubles from 20 ms to 2 s, and never sleeps past the deadline.
 */
final class Retrying {
    static final long FIRST_BACKOFF_NANOS = Duration.ofMillis(20).toNanos();
    static final long MAX_BACKOFF_NANOS = Duration.ofSeconds(2).toNanos();

    private Retrying() {
    }

    static <T> T call(String what, Duration outageWait, Supplier<T> request) {
        long deadline = System.nanoTime() + outageWait.toNanos();
        long backoff = FIRST_BACKOFF_NANOS;
        while (true) {
            try {
                return request.get();
            } catch (ObjectStoreException e) {
                long left = deadline - System.nanoTime();
                if (!e.retryable() || left <= 0) {
                    throw new ErrnoException(Errno.EIO, what + " failed"
                            + (e.retryable() ? " for " + outageWait.toMillis() + " ms" : "") + ": " + e.getMessage(), e);
                }
                try {
                    Thread.sleep(Duration.ofNanos(Math.min(backoff, left)));
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new ErrnoException(Errno.EIO, what + " interrupted", ie);
                }
                backoff = Math.min(2 * backoff, MAX_BACKOFF_NANOS);
            }
        }
    }

    /** Backoff before the {@code n}th retry of a background upload (n from 1). */
    static long uploadBackoffNanos(int n) {
        return Math.min(MAX_BACKOFF_NANOS, FIRST_BACKOFF_NANOS << Math.min(n - 1, 20));
    }
}
