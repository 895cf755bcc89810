package io.blockhaus.cli;

import io.blockhaus.client.BlockhausClient;
import io.blockhaus.client.Types;
import io.blockhaus.proto.v1.LockStats;
import io.blockhaus.proto.v1.ModeStats;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code bhctl locks [VOLUME]}: the pagecache lock of one volume, or of all, one row per mode. */
@Command(name = "locks", description = {"Shows the pagecache lock's holders, waiters, counters and wait/hold times (microseconds).",
    "With --watch, refreshes them every --interval with the rates since the previous refresh (Ctrl-C stops)."})
final class LocksCommand extends BaseCommand {
    @Parameters(index = "0", arity = "0..1", paramLabel = "VOLUME", description = "One volume (default: all).")
    String volume;

    @Option(names = "--watch", description = "Refresh in place (on a terminal; appended otherwise) until Ctrl-C or --count.")
    boolean watch;

    @Option(names = "--interval", defaultValue = "1s", converter = BenchCommand.DurationConverter.class, paramLabel = "TIME",
            description = "Time between refreshes with --watch (default: ${DEFAULT-VALUE}; 500ms, 2s, 1m).")
    Duration interval;

    @Option(names = "--count", defaultValue = "0", paramLabel = "N",
            description = "With --watch, stop after N refreshes (default: until Ctrl-C).")
    long count;

    @Mixin
    FormatMixin format;

    @Override
    protected int execute() {
        if (!watch && (count != 0 || spec.commandLine().getParseResult().hasMatchedOption("--interval"))) {
            throw usage("--interval and --count go with --watch");
        }
        if (count < 0 || interval.isZero() || interval.isNegative()) {
            throw usage("--count must be 0 or more and --interval positive");
        }
        BlockhausClient client = connect();
        if (watch) {
            return watch(client);
        }
        List<String> names = new ArrayList<>();
        if (volume != null) {
            names.add(volume);
        } else {
            client.listVolumes().stream().map(Types.VolumeInfo::name).forEach(names::add);
        }
        Report.Table t = new Report.Table("volume", "policy", "mode", "holders", "waiters", "acquisitions", "contended",
                "timeouts", "deadlocks", "wait_p50_us", "wait_p99_us", "wait_max_us", "hold_p50_us", "hold_p99_us",
                "hold_max_us");
        for (String name : names) {
            LockStats s = client.lockStats(name);
            String policy = s.getPolicy().name().toLowerCase(Locale.ROOT).replace('_', '-');
            for (ModeStats m : s.getModesList()) {
                t.row(name, policy, m.getMode().name(), m.getHolders(), m.getWaiters(), m.getAcquisitions(),
                        m.getContendedAcquisitions(), m.getTimeouts(), m.getDeadlocks(), micros(m.getWaitP50Nanos()),
                        micros(m.getWaitP99Nanos()), micros(m.getWaitMaxNanos()), micros(m.getHoldP50Nanos()),
                        micros(m.getHoldP99Nanos()), micros(m.getHoldMaxNanos()));
            }
        }
        format.print(new Report().put("locks", t), out());
        return EXIT_OK;
    }

    private int watch(BlockhausClient client) {
        LockWatch w = new LockWatch(client, volume, format, streams().terminal(), System::nanoTime);
        try (CtrlCPacer pacer = new CtrlCPacer()) {
            w.run(out(), interval, count, pacer);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return EXIT_OK;
    }

    private static Object micros(long nanos) {
        return Report.oneDecimal(nanos / 1000.0);
    }
}
