package io.blockhaus.cli;

import io.blockhaus.client.VolumeHandle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code bhctl truncate VOLUME SIZE}: ftruncate(2) through a handle (resize is the admin call). */
@Command(name = "truncate", description = "ftruncate(2): sets a volume's size through a handle (grows with zeroes).")
final class TruncateCommand extends BaseCommand {
    @Parameters(index = "0", paramLabel = "VOLUME", description = "The volume.")
    String volume;

    @Parameters(index = "1", paramLabel = "SIZE", converter = Sizes.class, description = "The new size: bytes, or with K, M, G.")
    long size;

    @Mixin
    FormatMixin format;

    @Override
    protected int execute() {
        long now;
        try (VolumeHandle h = connect().open(volume)) {
            h.setSize(size);
            now = h.stat().sizeBytes();
        }
        format.print(new Report().put("volume", volume).put("size_bytes", now), out());
        return EXIT_OK;
    }
}
