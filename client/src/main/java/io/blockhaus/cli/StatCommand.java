package io.blockhaus.cli;

import io.blockhaus.client.Types;
import io.blockhaus.client.VolumeHandle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code bhctl stat VOLUME}: a handle's view of the volume, with its cache occupancy. */
@Command(name = "stat", description = "Shows a volume's size, modes and cached/dirty pages.")
final class StatCommand extends BaseCommand {
    @Parameters(index = "0", paramLabel = "VOLUME", description = "The volume.")
    String volume;

    @Mixin
    FormatMixin format;

    @Override
    protected int execute() {
        Types.VolumeStat s;
        try (VolumeHandle h = connect().open(volume)) {
            s = h.stat();
        }
        format.print(new Report().put("volume", s.volume()).put("size_bytes", s.sizeBytes()).put("page_size", s.pageSize())
                .put("read_only", s.readOnly()).put("io", s.direct() ? "direct" : "buffered")
                .put("lock", s.lockPolicy().toLowerCase(java.util.Locale.ROOT).replace('_', '-'))
                .put("cached_pages", s.cachedPages()).put("dirty_pages", s.dirtyPages()), out());
        return EXIT_OK;
    }
}
