package io.blockhaus.engine.cache;

import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Where writers throttled by a failing volume wait (see {@link CacheSystem#balanceDirty}): on a
 * monitor that writeback notifies when it cleans pages or ends a pass, with a timeout, because a
 * volume's retry falls due on the clock without anyone calling. Waking costs writeback one
 * volatile read while nobody waits, the usual case.
 */
final class ThrottledWriters {
    /** The longest a writer sleeps before it reads the clock again (a test's clock may jump). */
    private static final long MAX_WAIT_MILLIS = 1000;

    private final Object monitor = new Object();
    private final AtomicInteger waiting = new AtomicInteger();

    /** Waits until woken or about {@code nanos} have passed (at least 1 ms, at most a second). */
    void await(long nanos) {
        waiting.incrementAndGet();
        try {
            synchronized (monitor) {
                monitor.wait(Math.max(1, Math.min(nanos / 1_000_000, MAX_WAIT_MILLIS)));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ErrnoException(Errno.EINTR, "interrupted while throttled for writeback");
        } finally {
            waiting.decrementAndGet();
        }
    }

    /** Pages were cleaned, or a writeback pass ended: waiters look again. */
    void wake() {
        if (waiting.get() > 0) {
            synchronized (monitor) {
                monitor.notifyAll();
            }
        }
    }
}
