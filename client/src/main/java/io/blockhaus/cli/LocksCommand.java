package io.blockhaus.cli;

import io.blockhaus.client.BlockhausClient;
import io.blockhaus.client.Types;
import io.blockhaus.proto.v1.LockStats;
import io.blockhaus.proto.v1.ModeStats;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code bhctl locks [VOLUME]}: the pagecache lock of one volume, or of all, one row per mode. */
@Command(name = "locks", description = "Shows the pagecache lock's holders, waiters, counters and wait/hold times (microseconds).")
final class LocksCommand extends BaseCommand {
    @Parameters(index = "0", arity = "0..1", paramLabel = "VOLUME", description = "One volume (default: all).")
    String volume;

    @Mixin
    FormatMixin format;

    @Override
    protected int execute() {
        BlockhausClient client = connect();
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

    private static Object micros(long nanos) {
        return Report.oneDecimal(nanos / 1000.0);
    }
}
