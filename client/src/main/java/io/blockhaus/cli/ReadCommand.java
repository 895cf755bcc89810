package io.blockhaus.cli;

import io.blockhaus.client.VolumeHandle;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code bhctl read VOLUME OFFSET LENGTH}: the bytes to stdout, or to a file with a summary on stdout. */
@Command(name = "read", description = "Reads bytes of a volume to stdout (or --out FILE).")
final class ReadCommand extends BaseCommand {
    /** One call's worth: large reads go in pieces, so bhctl's memory stays small. */
    static final int CHUNK = 1 << 20;

    @Parameters(index = "0", paramLabel = "VOLUME", description = "The volume.")
    String volume;

    @Parameters(index = "1", paramLabel = "OFFSET", converter = Sizes.class, description = "Where to start: bytes, or with K, M, G.")
    long offset;

    @Parameters(index = "2", paramLabel = "LENGTH", converter = Sizes.class, description = "How many bytes.")
    long length;

    @Option(names = "--direct", description = "Direct I/O: around the page cache (dirty pages of the range are written back first).")
    boolean direct;

    @Option(names = "--out", paramLabel = "FILE", description = "Write the bytes to FILE (and a summary to stdout) instead of stdout.")
    Path outFile;

    @Mixin
    FormatMixin format;

    @Override
    protected int execute() throws IOException {
        out().flush();
        try (VolumeHandle h = connect().open(volume)) {
            if (outFile == null) {
                copy(h, Channels.newChannel(streams().out()));
                streams().out().flush();
                return EXIT_OK;
            }
            try (OutputStream file = Files.newOutputStream(outFile)) {
                copy(h, Channels.newChannel(file));
            }
        }
        format.print(new Report().put("volume", volume).put("offset", offset).put("bytes_read", length)
                .put("mode", direct ? "direct" : "buffered").put("file", outFile.toString()), out());
        return EXIT_OK;
    }

    private void copy(VolumeHandle h, WritableByteChannel to) throws IOException {
        for (long done = 0; done < length; ) {
            int n = (int) Math.min(CHUNK, length - done);
            ByteBuffer b = direct ? h.readDirect(offset + done, n) : h.read(offset + done, n);
            while (b.hasRemaining()) {
                to.write(b);
            }
            done += n;
        }
    }
}
