package io.blockhaus.limits;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * One front end's refusals by reason: counted always, logged at most once per reason per
 * {@value #LOG_INTERVAL_SECONDS} seconds ({@link RateLimitedLog}). The metrics binding reads
 * {@link #count} into {@code blockhaus.frontend.refused{frontend, reason}} (a function counter
 * per reason); nothing here knows Micrometer. Counting is a {@link LongAdder} increment, cheap
 * enough for an event loop under a connection flood.
 */
public final class Refusals {
    static final long LOG_INTERVAL_SECONDS = 10;

    private final String frontend;
    private final Map<RefusalReason, LongAdder> counts = new EnumMap<>(RefusalReason.class);
    private final RateLimitedLog log;

    /** {@code frontend}: the {@code frontend} tag ({@code nbd}, {@code grpc}). */
    public Refusals(String frontend) {
        this(frontend, new RateLimitedLog(System.getLogger("io.blockhaus." + frontend + ".limits"),
                TimeUnit.SECONDS.toNanos(LOG_INTERVAL_SECONDS), System::nanoTime));
    }

    public Refusals(String frontend, RateLimitedLog log) {
        this.frontend = frontend;
        this.log = log;
        for (RefusalReason r : RefusalReason.values()) {
            counts.put(r, new LongAdder());
        }
    }

    public String frontend() {
        return frontend;
    }

    /** Counts one refusal and logs it (rate-limited); {@code detail} says who and which limit. */
    public void refused(RefusalReason reason, String detail) {
        counts.get(reason).increment();
        log.log(reason, frontend + ": refused (" + reason.label() + "): " + detail);
    }

    /** Counts one refusal without logging it: for refusals their front end logs in its own way. */
    public void tally(RefusalReason reason) {
        counts.get(reason).increment();
    }

    /** Refusals of {@code reason} since the server started. */
    public long count(RefusalReason reason) {
        return counts.get(reason).sum();
    }
}
