package io.blockhaus.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code bhctl resize NAME SIZE}: the admin call (truncate is the handle's). */
@Command(name = "resize", description = "Resizes a volume (the admin call; bytes past a shrink are gone).")
final class ResizeCommand extends BaseCommand {
    @Parameters(index = "0", paramLabel = "NAME", description = "The volume.")
    String name;

    @Parameters(index = "1", paramLabel = "SIZE", converter = Sizes.class, description = "The new size: bytes, or with K, M, G.")
    long size;

    @Mixin
    FormatMixin format;

    @Override
    protected int execute() {
        format.print(VolumesCommand.describe(connect().resizeVolume(name, size)), out());
        return EXIT_OK;
    }
}
