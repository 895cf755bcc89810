package io.blockhaus.limits;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * A log line per reason (a refusal, or another closed set) at most once per interval. A client
 * hitting a limit in a loop (a connection flood, a slowloris) must not turn the server's log into
 * its amplifier: the first refusal of a reason is logged at once, later ones within the interval are only counted, and the
 * next line says how many were left out. Thread-safe; the critical section is a few field writes,
 * so event loops may call it.
 */
public final class RateLimitedLog {
    private final Logger logger;
    private final long intervalNanos;
    private final LongSupplier clock;
    private final Map<Enum<?>, long[]> state = new HashMap<>(); // guarded by this: {last, suppressed}

    public RateLimitedLog(Logger logger, long intervalNanos, LongSupplier clock) {
        this.logger = logger;
        this.intervalNanos = intervalNanos;
        this.clock = clock;
    }

    /**
     * Logs {@code message} unless {@code reason} was logged less than the interval ago; returns
     * whether it was logged.
     */
    public boolean log(RefusalReason reason, String message) {
        return log(reason, "refused for " + reason.label(), Level.WARNING, message);
    }

    /**
     * The same for any closed set of reasons (an enum), at {@code level}: {@code what} names the
     * reason in the line that says how many were left out ("N more {@code what} since the last line").
     */
    public boolean log(Enum<?> reason, String what, Level level, String message) {
        long suppressed;
        synchronized (this) {
            long now = clock.getAsLong();
            long[] s = state.get(reason);
            if (s != null && now - s[0] < intervalNanos) {
                s[1]++;
                return false;
            }
            if (s == null) {
                s = new long[2];
                state.put(reason, s);
            }
            suppressed = s[1];
            s[0] = now;
            s[1] = 0;
        }
        logger.log(level, suppressed == 0 ? message
                : message + " (" + suppressed + " more " + what + " since the last line)");
        return true;
    }
}
