package io.blockhaus.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code bhctl delete NAME [--force]}. */
@Command(name = "delete", description = "Deletes a volume created over the API (EBUSY while it has open handles, unless --force).")
final class DeleteCommand extends BaseCommand {
    @Parameters(index = "0", paramLabel = "NAME", description = "The volume.")
    String name;

    @Option(names = "--force", description = "Delete even with open handles (they fail from then on).")
    boolean force;

    @Mixin
    FormatMixin format;

    @Override
    protected int execute() {
        connect().deleteVolume(name, force);
        format.print(new Report().put("deleted", name), out());
        return EXIT_OK;
    }
}
