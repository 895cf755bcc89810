package io.blockhaus.cli;

import io.blockhaus.client.BlockhausClient;
import io.blockhaus.client.Types;
import io.blockhaus.client.VolumeHandle;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code bhctl import FILE VOLUME}: copies a local image onto a volume, sparse: the file's data
 * ranges (SEEK_DATA/SEEK_HOLE) are written, its holes punched on the volume (so old bytes there
 * read as zeroes again and the volume keeps the file's holes), then the volume is flushed. Bytes
 * of the volume past the file's end are left as they are.
 */
@Command(name = "import", description = "Copies a local image file onto a volume; holes stay holes (progress bar on a terminal).")
final class ImportCommand extends BaseCommand {
    @Parameters(index = "0", paramLabel = "FILE", description = "The image file.")
    Path file;

    @Parameters(index = "1", paramLabel = "VOLUME", description = "The volume.")
    String volume;

    @Option(names = "--create", description = "Create VOLUME first, the file's size rounded up to 4 KiB.")
    boolean create;

    @Mixin
    FormatMixin format;

    @Override
    protected int execute() throws IOException {
        long size = Files.size(file);
        BlockhausClient client = connect();
        if (create) {
            client.createVolume(volume, Math.max(4096, Math.ceilDiv(size, 4096) * 4096));
        }
        long dataBytes = 0;
        List<LocalExtents.Range> data = LocalExtents.data(file, size);
        try (VolumeHandle h = client.open(volume); FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
            long room = h.stat().sizeBytes();
            if (size > room) {
                error("ENOSPC: " + file + " is " + size + " bytes, volume " + volume + " only " + room);
                return EXIT_OPERATION_ERROR;
            }
            ProgressBar bar = new ProgressBar(spec.commandLine().getErr(), "import", size, streams().terminal());
            ByteBuffer chunk = ByteBuffer.allocate(ReadCommand.CHUNK);
            long at = 0;
            for (LocalExtents.Range r : data) {
                punch(h, at, r.offset());
                for (long off = r.offset(); off < r.end(); ) {
                    chunk.clear().limit((int) Math.min(chunk.capacity(), r.end() - off));
                    while (chunk.hasRemaining() && in.read(chunk, off + chunk.position()) >= 0) {
                        // positional reads until the piece is full (a short read is not the end)
                    }
                    h.write(off, chunk.flip(), false);
                    off += chunk.limit();
                    bar.update(off);
                }
                dataBytes += r.length();
                at = r.end();
            }
            punch(h, at, size);
            h.flush();
            bar.finish();
        }
        format.print(new Report().put("file", file.toString()).put("volume", volume).put("bytes", size)
                .put("data_bytes", dataBytes).put("hole_bytes", size - dataBytes).put("data_extents", data.size()), out());
        return EXIT_OK;
    }

    private static void punch(VolumeHandle h, long from, long to) {
        if (to > from) {
            h.fallocate(Types.FallocateMode.PUNCH_HOLE, from, to - from);
        }
    }
}
