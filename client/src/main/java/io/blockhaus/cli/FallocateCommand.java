package io.blockhaus.cli;

import io.blockhaus.client.Types;
import io.blockhaus.client.VolumeHandle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code bhctl fallocate VOLUME MODE OFFSET LENGTH}. */
@Command(name = "fallocate", description = "fallocate(2) on a range of a volume.")
final class FallocateCommand extends BaseCommand {
    @Parameters(index = "0", paramLabel = "VOLUME", description = "The volume.")
    String volume;

    @Parameters(index = "1", paramLabel = "MODE", converter = KebabNames.FallocateModes.class,
            completionCandidates = KebabNames.FallocateModes.class, description = "One of: ${COMPLETION-CANDIDATES}.")
    Types.FallocateMode mode;

    @Parameters(index = "2", paramLabel = "OFFSET", converter = Sizes.class, description = "Start: bytes, or with K, M, G.")
    long offset;

    @Parameters(index = "3", paramLabel = "LENGTH", converter = Sizes.class, description = "Length: bytes, or with K, M, G.")
    long length;

    @Mixin
    FormatMixin format;

    @Override
    protected int execute() {
        try (VolumeHandle h = connect().open(volume)) {
            h.fallocate(mode, offset, length);
        }
        format.print(new Report().put("volume", volume).put("mode", KebabNames.name(mode)).put("offset", offset)
                .put("length", length), out());
        return EXIT_OK;
    }
}
