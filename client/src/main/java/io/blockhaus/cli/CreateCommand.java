package io.blockhaus.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code bhctl create NAME SIZE}: a new sparse volume. */
@Command(name = "create", description = "Creates a sparse volume.")
final class CreateCommand extends BaseCommand {
    @Parameters(index = "0", paramLabel = "NAME", description = "The volume's name.")
    String name;

    @Parameters(index = "1", paramLabel = "SIZE", converter = Sizes.class, description = "Its size: bytes, or with K, M, G.")
    long size;

    @Option(names = "--direct", description = "Plain reads and writes go around the page cache.")
    boolean direct;

    @Option(names = "--lock", paramLabel = "POLICY", defaultValue = "two-state",
            completionCandidates = KebabNames.LockPolicies.class, converter = KebabNames.LockPolicies.class,
            description = "Pagecache lock policy: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    KebabNames.LockPolicy lock = KebabNames.LockPolicy.TWO_STATE;

    @Mixin
    FormatMixin format;

    @Override
    protected int execute() {
        format.print(VolumesCommand.describe(connect().createVolume(name, size, direct, lock == KebabNames.LockPolicy.RANGE)), out());
        return EXIT_OK;
    }
}
