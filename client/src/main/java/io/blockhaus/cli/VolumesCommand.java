package io.blockhaus.cli;

import io.blockhaus.client.BlockhausClient;
import io.blockhaus.client.Types;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code bhctl volumes}: every volume the server serves. */
@Command(name = "volumes", description = "Lists the server's volumes.")
final class VolumesCommand extends BaseCommand {
    @Mixin
    FormatMixin format;

    @Override
    protected int execute() {
        BlockhausClient client = connect();
        Report.Table t = new Report.Table("name", "size_bytes", "io", "lock", "page_size", "read_only", "origin",
                "handles");
        for (Types.VolumeInfo v : client.listVolumes()) {
            t.row(v.name(), v.sizeBytes(), v.direct() ? "direct" : "buffered", v.lockPolicy(), v.pageSize(),
                    v.readOnly(), v.createdByApi() ? "api" : "config", v.openHandles());
        }
        format.print(new Report().put("volumes", t), out());
        return EXIT_OK;
    }

    static Report describe(Types.VolumeInfo v) {
        return new Report().put("name", v.name()).put("size_bytes", v.sizeBytes())
                .put("io", v.direct() ? "direct" : "buffered").put("lock", v.lockPolicy()).put("page_size", v.pageSize())
                .put("read_only", v.readOnly()).put("origin", v.createdByApi() ? "api" : "config");
    }
}
