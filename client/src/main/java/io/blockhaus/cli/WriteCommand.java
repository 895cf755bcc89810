package io.blockhaus.cli;

import io.blockhaus.client.VolumeHandle;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code bhctl write VOLUME OFFSET}: stdin (or a file) into the volume, in 1 MiB calls. */
@Command(name = "write", description = "Writes stdin (or --in FILE) into a volume at OFFSET.")
final class WriteCommand extends BaseCommand {
    @Parameters(index = "0", paramLabel = "VOLUME", description = "The volume.")
    String volume;

    @Parameters(index = "1", paramLabel = "OFFSET", converter = Sizes.class, description = "Where to start: bytes, or with K, M, G.")
    long offset;

    @Option(names = "--direct", description = "Direct I/O: cached pages of the range are written back and dropped first.")
    boolean direct;

    @Option(names = "--fua", description = "Force unit access: each call returns once its bytes are on stable storage.")
    boolean fua;

    @Option(names = "--in", paramLabel = "FILE", description = "Read the bytes from FILE instead of stdin.")
    Path inFile;

    @Mixin
    FormatMixin format;

    @Override
    protected int execute() throws IOException {
        long written = 0;
        try (VolumeHandle h = connect().open(volume);
             InputStream in = inFile == null ? streams().in() : Files.newInputStream(inFile)) {
            byte[] chunk = new byte[ReadCommand.CHUNK];
            int n;
            while ((n = in.readNBytes(chunk, 0, chunk.length)) > 0) {
                ByteBuffer b = ByteBuffer.wrap(chunk, 0, n);
                if (direct) {
                    h.writeDirect(offset + written, b, fua);
                } else {
                    h.write(offset + written, b, fua);
                }
                written += n;
            }
        }
        format.print(new Report().put("volume", volume).put("offset", offset).put("bytes_written", written)
                .put("mode", direct ? "direct" : "buffered").put("fua", fua), out());
        return EXIT_OK;
    }
}
