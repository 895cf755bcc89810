package io.blockhaus.metrics;

import io.blockhaus.engine.lock.LockListener;
import io.blockhaus.engine.lock.LockMode;
import io.blockhaus.engine.lock.LockOutcome;
import io.blockhaus.engine.lock.LockPolicy;
import io.blockhaus.engine.lock.PagecacheLock;
import io.micrometer.core.instrument.Timer;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * One volume's pagecache lock as meters ({@code blockhaus.lock.*}, tags volume, mode, policy):
 * wait and hold timers, grants, contended grants, failures by outcome, mode switches, and
 * holders and waiters read from the lock at scrape time. Every meter is registered up front, per
 * mode, into arrays indexed by the mode's ordinal, so an event costs an array read and an adder
 * increment (and a histogram record for the timers): no lookup, no allocation. Waits past the
 * JFR threshold also become a {@link LockWaitEvent}.
 */
final class LockMeters implements LockListener {
    private static final LockMode[] MODES = LockMode.values();

    private final BoundMeters meters;
    private final LockWaitRecorder jfr;
    private final Timer[] wait = new Timer[MODES.length];
    private final Timer[] hold = new Timer[MODES.length];
    private final LongAdder[] acquisitions = new LongAdder[MODES.length];
    private final LongAdder[] contended = new LongAdder[MODES.length];
    private final LongAdder[] switches = new LongAdder[MODES.length];
    /** By mode, then by {@link LockOutcome} ordinal (ACQUIRED's slot stays null). */
    private final LongAdder[][] failures = new LongAdder[MODES.length][LockOutcome.values().length];

    LockMeters(BoundMeters meters, LockPolicy policy, LockWaitRecorder jfr) {
        this.meters = meters;
        this.jfr = jfr;
        for (LockMode m : MODES) {
            String[] tags = {"mode", tag(m), "policy", policy.label()};
            int i = m.ordinal();
            wait[i] = meters.timer("blockhaus.lock.wait", "time from asking for the pagecache lock to holding it,"
                    + " or to giving up", tags);
            hold[i] = meters.timer("blockhaus.lock.hold", "time the pagecache lock was held", tags);
            acquisitions[i] = meters.counter("blockhaus.lock.acquisitions", "pagecache lock grants", tags);
            contended[i] = meters.counter("blockhaus.lock.contended", "pagecache lock grants that had to wait", tags);
            switches[i] = meters.counter("blockhaus.lock.mode.switches",
                    "grants of this mode after the other mode was granted last", tags);
            for (LockOutcome o : LockOutcome.values()) {
                if (o != LockOutcome.ACQUIRED) {
                    failures[i][o.ordinal()] = meters.counter("blockhaus.lock.failures",
                            "pagecache lock requests that ended without the lock",
                            "mode", tag(m), "policy", policy.label(), "outcome", outcome(o));
                }
            }
        }
    }

    /** Holders and waiters, read from the lock when scraped (the lock exists only once the volume is open). */
    void bindGauges(PagecacheLock lock) {
        for (LockMode m : MODES) {
            String[] tags = {"mode", tag(m), "policy", lock.policy().label()};
            meters.gauge("blockhaus.lock.holders", "current holders of the pagecache lock in this mode", null,
                    lock, l -> l.holders(m), tags);
            meters.gauge("blockhaus.lock.waiters", "threads waiting for the pagecache lock in this mode", null,
                    lock, l -> l.waiters(m), tags);
        }
    }

    static String tag(LockMode mode) {
        return mode == LockMode.ADD ? "add" : "block";
    }

    /**
     * The {@code outcome} tag: the outcome's name in lower case, the set docs/metrics.md names
     * ({@code timeout}, {@code edeadlock}, {@code interrupted}, and {@code cancelled} once the
     * lock has it).
     */
    static String outcome(LockOutcome o) {
        return o.name().toLowerCase(Locale.ROOT);
    }

    @Override
    public void acquired(LockMode mode, LockPolicy policy, long waitNanos, boolean contended) {
        int i = mode.ordinal();
        acquisitions[i].increment();
        if (contended) {
            this.contended[i].increment();
        }
        wait[i].record(waitNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void released(LockMode mode, LockPolicy policy, long holdNanos) {
        hold[mode.ordinal()].record(holdNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void failed(LockMode mode, LockPolicy policy, long waitNanos, LockOutcome outcome) {
        int i = mode.ordinal();
        LongAdder f = failures[i][outcome.ordinal()];
        if (f != null) {
            f.increment();
        }
        wait[i].record(waitNanos, TimeUnit.NANOSECONDS); // "every attempt": a give-up waited too
    }

    @Override
    public void modeSwitched(LockMode to, LockPolicy policy) {
        switches[to.ordinal()].increment();
    }

    @Override
    public void waited(LockMode mode, LockPolicy policy, long firstPage, long endPage, long waitNanos,
            LockOutcome outcome) {
        jfr.waited(mode, policy, firstPage, endPage, waitNanos, outcome);
    }
}
