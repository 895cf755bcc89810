package io.blockhaus.metrics;

import io.blockhaus.engine.lock.LockMode;
import io.blockhaus.engine.lock.LockOutcome;
import io.blockhaus.engine.lock.LockPolicy;
import java.time.Duration;
import java.util.Locale;

/**
 * Turns one volume's lock waits of at least a threshold into {@link LockWaitEvent}s. Only the
 * lock's slow path calls it (see {@code LockListener.waited}), and a wait under the threshold
 * costs one compare; the event is allocated only when it is both long enough and enabled in a
 * running recording.
 *
 * <p>The range is the request's own, under both policies: the engine passes every acquisition
 * its page range (a buffered miss its run, a direct I/O or punch its pages, truncate from the
 * new end to "the end"), and {@code TwoStateLock} reports it although it does not use it. So a
 * two-state wait names the caller's range too, not the whole volume.
 */
final class LockWaitRecorder {
    private final String volume;
    private final int pageShift;
    private final long thresholdNanos;

    LockWaitRecorder(String volume, int pageSize, Duration threshold) {
        this.volume = volume;
        this.pageShift = Integer.numberOfTrailingZeros(pageSize);
        this.thresholdNanos = threshold.toNanos();
    }

    void waited(LockMode mode, LockPolicy policy, long firstPage, long endPage, long waitNanos, LockOutcome outcome) {
        if (waitNanos < thresholdNanos) {
            return;
        }
        LockWaitEvent e = new LockWaitEvent();
        if (!e.isEnabled()) {
            return;
        }
        e.volume = volume;
        e.mode = LockMeters.tag(mode);
        e.policy = policy.label();
        e.offset = firstPage << pageShift;
        e.length = endPage == Long.MAX_VALUE ? -1 : (endPage - firstPage) << pageShift;
        e.wait = waitNanos;
        e.outcome = outcome.name().toLowerCase(Locale.ROOT);
        e.commit();
    }
}
