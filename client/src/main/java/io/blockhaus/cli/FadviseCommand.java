package io.blockhaus.cli;

import io.blockhaus.client.Types;
import io.blockhaus.client.VolumeHandle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code bhctl fadvise VOLUME ADVICE OFFSET LENGTH}. */
@Command(name = "fadvise", description = "posix_fadvise(2) on a range of a volume (LENGTH 0: to the end).")
final class FadviseCommand extends BaseCommand {
    @Parameters(index = "0", paramLabel = "VOLUME", description = "The volume.")
    String volume;

    @Parameters(index = "1", paramLabel = "ADVICE", converter = KebabNames.Advices.class,
            completionCandidates = KebabNames.Advices.class, description = "One of: ${COMPLETION-CANDIDATES}.")
    Types.Advice advice;

    @Parameters(index = "2", paramLabel = "OFFSET", converter = Sizes.class, description = "Start: bytes, or with K, M, G.")
    long offset;

    @Parameters(index = "3", paramLabel = "LENGTH", converter = Sizes.class, description = "Length (0: to the end).")
    long length;

    @Mixin
    FormatMixin format;

    @Override
    protected int execute() {
        try (VolumeHandle h = connect().open(volume)) {
            h.fadvise(advice, offset, length);
        }
        format.print(new Report().put("volume", volume).put("advice", KebabNames.name(advice)).put("offset", offset)
                .put("length", length), out());
        return EXIT_OK;
    }
}
