package io.blockhaus.cli;

import io.blockhaus.client.BlockhausClient;
import io.blockhaus.client.BlockhausException;
import io.blockhaus.client.MappedRegion;
import io.blockhaus.client.VolumeHandle;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code bhctl dio-from-mapping VOLUME OFFSET LENGTH --source VOLUME:OFFSET}: a direct write (or
 * read, with --read) whose buffer is a mapping of the source range: DESIGN.md rule 2 made
 * visible. The server refuses it with EDEADLOCK when the mapping is of the same volume (under the
 * range policy: only when the ranges overlap); the library then redoes it as buffered I/O. The
 * output says which happened: the word EDEADLOCK appears exactly when the server answered it. The
 * exit is 0 when the bytes moved, either way; with --no-fallback an EDEADLOCK moves nothing and
 * exits 1.
 */
@Command(name = "dio-from-mapping",
        description = "Direct write (or --read) with a mapping of --source as the buffer; shows EDEADLOCK and the library's fallback.")
final class DioFromMappingCommand extends BaseCommand {
    /** {@code VOLUME:OFFSET}. */
    record Source(String volume, long offset) {
    }

    /** Parses {@code VOLUME:OFFSET} (the offset with K, M, G). */
    static final class SourceConverter implements CommandLine.ITypeConverter<Source> {
        @Override
        public Source convert(String text) {
            int colon = text.lastIndexOf(':');
            if (colon <= 0) {
                throw new CommandLine.TypeConversionException("'" + text + "' is not VOLUME:OFFSET");
            }
            return new Source(text.substring(0, colon), Sizes.parse(text.substring(colon + 1)));
        }
    }

    @Parameters(index = "0", paramLabel = "VOLUME", description = "The volume the direct I/O goes to.")
    String volume;

    @Parameters(index = "1", paramLabel = "OFFSET", converter = Sizes.class, description = "Where in VOLUME.")
    long offset;

    @Parameters(index = "2", paramLabel = "LENGTH", converter = Sizes.class, description = "How many bytes.")
    long length;

    @Option(names = "--source", required = true, paramLabel = "VOLUME:OFFSET", converter = SourceConverter.class,
            description = "The range mapped as the buffer (a write's bytes come from it, a read's go into it).")
    Source source;

    @Option(names = "--read", description = "A direct read of VOLUME into the mapping instead of a write from it.")
    boolean read;

    @Option(names = "--no-fallback", description = "Do not let the library redo an EDEADLOCK as buffered I/O (it then fails, exit 1).")
    boolean noFallback;

    @Mixin
    FormatMixin format;

    @Override
    protected int execute() {
        if (length > Integer.MAX_VALUE) {
            throw usage("LENGTH is at most 2 GiB");
        }
        BlockhausClient client = connect(!noFallback);
        Report r = new Report().put("operation", read ? "direct read" : "direct write").put("volume", volume)
                .put("offset", offset).put("length", length)
                .put("source", source.volume() + ":" + source.offset() + " (mapped)");
        try (VolumeHandle target = client.open(volume); VolumeHandle src = client.open(source.volume())) {
            long page = src.pageSize();
            long start = Math.floorDiv(source.offset(), page) * page;
            long end = Math.ceilDiv(source.offset() + length, page) * page;
            try (MappedRegion m = src.map(start, end - start, true)) {
                long before = client.deadlockFallbacks();
                if (read) {
                    target.readDirect(offset, m, source.offset() - start, (int) length);
                } else {
                    target.writeDirect(offset, m, source.offset() - start, (int) length, false);
                }
                boolean fellBack = client.deadlockFallbacks() > before;
                r.put("server", fellBack ? "EDEADLOCK" : "ok")
                        .put("fallback", fellBack ? (read ? "buffered read" : "buffered write") + " by the library" : "none")
                        .put("bytes_moved", length);
            } catch (BlockhausException.Deadlock e) {
                r.put("server", "EDEADLOCK").put("fallback", "none (--no-fallback)").put("bytes_moved", 0);
                format.print(r, out());
                error(e.getMessage());
                return EXIT_OPERATION_ERROR;
            }
        }
        format.print(r, out());
        return EXIT_OK;
    }
}
