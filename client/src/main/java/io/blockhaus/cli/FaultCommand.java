package io.blockhaus.cli;

import io.blockhaus.client.MappedRegion;
import io.blockhaus.client.VolumeHandle;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code bhctl fault VOLUME OFFSET [--write --in FILE]}: maps a window of the volume and takes one
 * fault in it, the way a process touching an mmap would. A read fault reports how many pages the
 * server's fault-around brought; a write fault stores the input's bytes (each page touched is
 * one write fault).
 */
@Command(name = "fault", description = "Maps a window of a volume and takes a read fault at OFFSET (or write faults with --write).")
final class FaultCommand extends BaseCommand {
    @Parameters(index = "0", paramLabel = "VOLUME", description = "The volume.")
    String volume;

    @Parameters(index = "1", paramLabel = "OFFSET", converter = Sizes.class, description = "Where in the volume: bytes, or with K, M, G.")
    long offset;

    @Option(names = "--write", description = "Write faults: store stdin (or --in FILE) at OFFSET through the mapping.")
    boolean write;

    @Option(names = "--in", paramLabel = "FILE", description = "With --write: the bytes to store (default: stdin).")
    Path inFile;

    @Option(names = "--window", paramLabel = "SIZE", converter = Sizes.class, defaultValue = "64K",
            description = "For a read fault: how much to map from OFFSET's page, the room fault-around has (default: ${DEFAULT-VALUE}).")
    long window;

    @Mixin
    FormatMixin format;

    @Override
    protected int execute() throws IOException {
        if (inFile != null && !write) {
            throw usage("--in goes with --write");
        }
        Report r = new Report().put("volume", volume).put("offset", offset);
        try (VolumeHandle h = connect().open(volume)) {
            long page = h.pageSize();
            long start = Math.floorDiv(offset, page) * page;
            long size = h.stat().sizeBytes();
            if (write) {
                byte[] data;
                try (InputStream in = inFile == null ? streams().in() : Files.newInputStream(inFile)) {
                    data = in.readAllBytes();
                }
                long end = Math.min(size, ceil(offset + Math.max(1, data.length), page));
                try (MappedRegion m = h.map(start, Math.max(page, end - start), true)) {
                    m.put(offset - start, ByteBuffer.wrap(data));
                }
                r.put("kind", "write").put("bytes_stored", data.length)
                        .put("write_faults", data.length == 0 ? 0 : (ceil(offset + data.length, page) - start) / page);
            } else {
                long length = Math.max(page, Math.min(ceil(window, page), ceil(size, page) - start));
                try (MappedRegion m = h.map(start, length, false)) {
                    int brought = m.faultIn(offset - start);
                    ByteBuffer first = ByteBuffer.allocate((int) Math.min(16, size - offset));
                    m.get(offset - start, first);
                    r.put("kind", "read").put("page_offset", start).put("pages_brought", brought)
                            .put("first_bytes", HexFormat.ofDelimiter(" ").formatHex(first.array()));
                }
            }
        }
        format.print(r, out());
        return EXIT_OK;
    }

    private static long ceil(long v, long unit) {
        return Math.ceilDiv(v, unit) * unit;
    }
}
