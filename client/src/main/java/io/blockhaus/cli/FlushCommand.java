package io.blockhaus.cli;

import io.blockhaus.client.VolumeHandle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code bhctl flush VOLUME}: fsync. */
@Command(name = "flush", description = "fsync: writes back every dirty page of a volume and forces its store.")
final class FlushCommand extends BaseCommand {
    @Parameters(index = "0", paramLabel = "VOLUME", description = "The volume.")
    String volume;

    @Mixin
    FormatMixin format;

    @Override
    protected int execute() {
        long dirty;
        try (VolumeHandle h = connect().open(volume)) {
            h.flush();
            dirty = h.stat().dirtyPages();
        }
        format.print(new Report().put("volume", volume).put("flushed", true).put("dirty_pages_after", dirty), out());
        return EXIT_OK;
    }
}
