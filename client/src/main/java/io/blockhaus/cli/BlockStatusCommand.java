package io.blockhaus.cli;

import io.blockhaus.client.Types;
import io.blockhaus.client.VolumeHandle;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code bhctl block-status VOLUME OFFSET LENGTH}: the allocation map of a range. */
@Command(name = "block-status", description = "Shows which parts of a range hold data, holes, or allocated zeroes.")
final class BlockStatusCommand extends BaseCommand {
    @Parameters(index = "0", paramLabel = "VOLUME", description = "The volume.")
    String volume;

    @Parameters(index = "1", paramLabel = "OFFSET", converter = Sizes.class, description = "Start: bytes, or with K, M, G.")
    long offset;

    @Parameters(index = "2", paramLabel = "LENGTH", converter = Sizes.class, description = "Length: bytes, or with K, M, G.")
    long length;

    @Mixin
    FormatMixin format;

    @Override
    protected int execute() {
        Report.Table t = new Report.Table("offset", "length", "type");
        try (VolumeHandle h = connect().open(volume)) {
            for (Types.Extent e : extents(h, offset, length)) {
                t.row(e.offset(), e.length(), e.hole() ? "hole" : e.zero() ? "zero" : "data");
            }
        }
        format.print(new Report().put("extents", t), out());
        return EXIT_OK;
    }

    /** Every extent of {@code [offset, offset+length)}: the server answers a prefix per call, so this asks until it is covered. */
    static List<Types.Extent> extents(VolumeHandle h, long offset, long length) {
        List<Types.Extent> all = new ArrayList<>();
        long at = offset;
        long end = offset + length;
        while (at < end) {
            List<Types.Extent> some = h.blockStatus(at, end - at);
            if (some.isEmpty()) {
                break; // past the end of the volume
            }
            for (Types.Extent e : some) {
                all.add(e);
                at = Math.max(at, e.offset() + e.length());
            }
        }
        return all;
    }
}
