package io.blockhaus.cli;

import io.blockhaus.client.Types;
import io.blockhaus.client.VolumeHandle;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/**
 * {@code bhctl export VOLUME FILE}: copies a volume into a sparse local file. The volume's
 * allocation map (block-status) says where its data is; only that is read and written, so its
 * holes (and allocated zeroes) stay holes in the file, which is extended to the volume's size
 * without writing them.
 */
@Command(name = "export", description = "Copies a volume into a local file; holes stay holes (progress bar on a terminal).")
final class ExportCommand extends BaseCommand {
    @Parameters(index = "0", paramLabel = "VOLUME", description = "The volume.")
    String volume;

    @Parameters(index = "1", paramLabel = "FILE", description = "The file to write (replaced if it exists).")
    Path file;

    @Mixin
    FormatMixin format;

    @Override
    protected int execute() throws IOException {
        long size;
        long dataBytes = 0;
        int dataExtents = 0;
        try (VolumeHandle h = connect().open(volume); RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            size = h.stat().sizeBytes();
            raf.setLength(0); // drop what the file held: its blocks would stay where the volume has holes
            raf.setLength(size);
            FileChannel outFile = raf.getChannel();
            ProgressBar bar = new ProgressBar(spec.commandLine().getErr(), "export", size, streams().terminal());
            for (Types.Extent e : BlockStatusCommand.extents(h, 0, size)) {
                if (e.zero()) {
                    bar.update(e.offset() + e.length());
                    continue;
                }
                dataExtents++;
                for (long off = e.offset(); off < e.offset() + e.length(); ) {
                    int n = (int) Math.min(ReadCommand.CHUNK, e.offset() + e.length() - off);
                    ByteBuffer b = h.read(off, n);
                    while (b.hasRemaining()) {
                        outFile.write(b, off + b.position());
                    }
                    off += n;
                    dataBytes += n;
                    bar.update(off);
                }
            }
            bar.finish();
        }
        format.print(new Report().put("volume", volume).put("file", file.toString()).put("bytes", size)
                .put("data_bytes", dataBytes).put("hole_bytes", size - dataBytes).put("data_extents", dataExtents), out());
        return EXIT_OK;
    }
}
