package io.blockhaus.cli;

import io.blockhaus.client.BlockhausClient;
import io.blockhaus.client.Types;
import io.blockhaus.proto.v1.LockStats;
import io.blockhaus.proto.v1.ModeStats;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * {@code bhctl locks --watch}: the lock figures of one volume or of all, again every interval,
 * with the rates since the previous refresh worked out here ({@link LockRates}). On a terminal
 * each refresh redraws the screen in place (cursor home, clear); anywhere else (a pipe, a file, a
 * CI log) refreshes are appended, each under its own header line, so nothing unreadable lands in
 * a file. With {@code -o json}, one JSON object per refresh, one per line group.
 *
 * <p>The waiting between refreshes is a {@link Pacer}'s, and the clock a {@link LongSupplier}:
 * the command passes the wall clock and an interval that Ctrl-C ends, a test passes a pacer that
 * does scripted lock activity and a clock it advances, so the figures can be checked exactly.
 */
final class LockWatch {
    /** ESC [H (cursor home) ESC [2J (clear screen). */
    static final String CLEAR = "\u001b[H\u001b[2J";

    /** Waits for the next refresh; false when the watch must stop (Ctrl-C). */
    interface Pacer {
        boolean awaitNext(Duration interval) throws InterruptedException;
    }

    private final BlockhausClient client;
    private final String volume;
    private final FormatMixin format;
    private final boolean terminal;
    private final LongSupplier nanoClock;
    private final Map<String, LockStats> previous = new HashMap<>();
    private long previousNanos;

    LockWatch(BlockhausClient client, String volume, FormatMixin format, boolean terminal, LongSupplier nanoClock) {
        this.client = client;
        this.volume = volume;
        this.format = format;
        this.terminal = terminal && !format.json();
        this.nanoClock = nanoClock;
    }

    /** Refreshes {@code count} times (0: until the pacer says stop), {@code interval} apart. */
    void run(PrintWriter out, Duration interval, long count, Pacer pacer) throws InterruptedException {
        for (long refresh = 1; count == 0 || refresh <= count; refresh++) {
            if (refresh > 1 && !pacer.awaitNext(interval)) {
                return;
            }
            Report report = refresh(refresh);
            if (terminal) {
                out.print(CLEAR);
            }
            format.print(report, out);
            if (!format.json()) {
                out.println();
            }
            out.flush();
        }
    }

    /** One refresh: a snapshot of every volume watched, against the previous one. */
    Report refresh(long number) {
        long now = nanoClock.getAsLong();
        double seconds = number == 1 ? 0 : (now - previousNanos) / 1e9;
        previousNanos = now;
        List<String> names = volume != null ? List.of(volume)
                : client.listVolumes().stream().map(Types.VolumeInfo::name).toList();
        Report.Table t = new Report.Table("volume", "policy", "mode", "holders", "waiters", "acquisitions",
                "new_acquisitions", "acquisitions_per_s", "contended_pct", "wait_p99_us", "new_timeouts", "new_deadlocks");
        for (String name : names) {
            LockStats stats = client.lockStats(name);
            LockStats before = previous.put(name, stats);
            String policy = stats.getPolicy().name().toLowerCase(Locale.ROOT).replace('_', '-');
            for (ModeStats m : stats.getModesList()) {
                if (before == null) {
                    // The first sight of a volume has no interval yet: totals only.
                    t.row(name, policy, m.getMode().name(), m.getHolders(), m.getWaiters(), m.getAcquisitions(), "-", "-",
                            "-", "-", "-", "-");
                    continue;
                }
                LockRates r = LockRates.between(LockRates.mode(before, m.getMode()), m, seconds);
                t.row(name, policy, m.getMode().name(), r.holders(), r.waiters(), r.acquisitionsTotal(), r.acquisitions(),
                        Report.oneDecimal(r.acquisitionsPerSecond()),
                        r.contendedShare() < 0 ? "-" : Report.oneDecimal(100 * r.contendedShare()),
                        r.waitP99Nanos() < 0 ? "-" : Report.oneDecimal(r.waitP99Nanos() / 1000.0), r.timeouts(),
                        r.deadlocks());
            }
        }
        previous.keySet().retainAll(names);
        return new Report().put("refresh", number)
                .put("seconds_since_previous", number == 1 ? "-" : Report.oneDecimal(seconds)).put("locks", t);
    }
}
