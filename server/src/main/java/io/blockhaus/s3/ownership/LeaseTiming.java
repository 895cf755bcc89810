package io.blockhaus.s3.ownership;

import java.time.Duration;

/**
 * Every number the lease protocol derives from the lease and the request timeout, with the margins
 * that make it safe. Why each holds is argued in {@link VolumeOwnerships}' essay; in short:
 * <ul>
 *   <li>An owner counts its lease on its own monotonic clock from the moment it <em>sent</em> the
 *       version that granted it, and counts it short by {@link #DRIFT}: a lease of {@code L} is over
 *       by real time {@code send + L} even if its clock runs slow.</li>
 *   <li>It starts a data request only if the request will have timed out ({@link #writeWindowNanos})
 *       before its lease is over: so all of its writes land within its lease.</li>
 *   <li>Another server calls the lease expired when the store's own clock says the version is
 *       older than {@code L} stretched by {@link #DRIFT} plus {@link #STORE_CLOCK_SLACK}.</li>
 * </ul>
 *
 * @param lease          how long a lease lasts from the writing of the version that granted it
 * @param requestTimeout the longest one object store call takes, every attempt and retry included
 *                       (S3Settings.requestTimeout): after it, a request has landed or never will
 */
record LeaseTiming(Duration lease, Duration requestTimeout) {

    /**
     * Bound on the rate error of any clock involved (this server's, the store's): 1000 ppm, twenty
     * times what ordinary quartz is allowed and far above an NTP-disciplined clock. Rates only:
     * no offset between two machines' clocks enters any decision.
     */
    static final double DRIFT = 1e-3;

    /**
     * Time allowed between {@code beforeWrite()} returning and the request's own timeout starting
     * (the caller builds the request and hands it to the client). A stop-the-world pause longer
     * than this between the check and the send is the residual risk of every lease without
     * store-side fencing tokens, which S3 does not offer for data objects.
     */
    static final Duration SEND_SLACK = Duration.ofSeconds(1);

    /**
     * Added when aging a version by the store's clock: Last-Modified and Date have one-second
     * precision (truncated: a version may be up to 1 s younger than its Last-Modified says), and one
     * more second for stores whose gateways stamp from different, synchronised clocks.
     */
    static final Duration STORE_CLOCK_SLACK = Duration.ofSeconds(2);

    LeaseTiming {
        if (requestTimeout.isNegative() || requestTimeout.isZero()) {
            throw new IllegalArgumentException("request timeout must be positive: " + requestTimeout);
        }
        Duration least = minimumLease(requestTimeout);
        if (lease.compareTo(least) < 0) {
            throw new IllegalArgumentException("lease " + lease + " is too short for request timeout " + requestTimeout
                    + ": it must be at least 3 x timeout + 1 s (" + least + "), so renewals fit in it");
        }
    }

    /** The shortest lease a request timeout allows: renewals every third of what is left after one write window. */
    static Duration minimumLease(Duration requestTimeout) {
        return Duration.ofMillis((long) Math.ceil(
                (3.0 * requestTimeout.toNanos() + SEND_SLACK.toNanos()) / (1 - DRIFT) / 1e6));
    }

    /** The lease as its holder counts it on its own clock: short by {@link #DRIFT}. */
    long usableNanos() {
        return (long) Math.floor(lease.toNanos() * (1 - DRIFT));
    }

    /** How long after {@code beforeWrite()} returned a request it allowed may still land. */
    long writeWindowNanos() {
        return requestTimeout.toNanos() + SEND_SLACK.toNanos();
    }

    /**
     * Time between renewals, counted from the last successful renewal's send: a third of what is
     * left of the lease after one write window. A renewal taking a whole request timeout still
     * completes while writes may go on (the minimum lease makes {@code period + timeout} fit).
     */
    long renewPeriodNanos() {
        return (usableNanos() - writeWindowNanos()) / 3;
    }

    /** Time between attempts after a renewal failed. */
    long retryPeriodNanos() {
        return Math.max(renewPeriodNanos() / 4, Duration.ofMillis(100).toNanos());
    }

    /**
     * True when a version written with a lease of {@code leaseMillis} and aged {@code storeAge} by
     * the store's clock (Date minus Last-Modified) has certainly expired in real time.
     */
    static boolean expiredByStoreClock(Duration storeAge, long leaseMillis) {
        return storeAge.minus(STORE_CLOCK_SLACK).toNanos() >= leaseMillis * 1e6 * (1 + DRIFT);
    }

    /**
     * How long, on this server's clock, to wait from reading a release so that the releaser's own
     * {@code quietMillis} (counted on its clock) is certainly over: its clock may run slow and ours fast.
     */
    static long quietWaitNanos(long quietMillis) {
        return (long) Math.ceil(quietMillis * 1e6 * (1 + DRIFT) / (1 - DRIFT));
    }
}
