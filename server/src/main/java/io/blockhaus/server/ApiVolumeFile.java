package io.blockhaus.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The volumes created over gRPC, remembered in {@value #NAME} in the data directory so that a
 * restart serves them again with their options: one {@code --export} value per line (the form
 * {@link ExportSpec#parse} reads, without {@code size=}: the file's size is the volume's, so a
 * resize needs no rewrite). Lines starting with {@code #} are comments.
 *
 * <p>Written atomically: a temporary file is written and forced, renamed over the old one, and
 * the directory forced, so a crash leaves the old list or the new one, never half of either.
 */
final class ApiVolumeFile {
    static final String NAME = "grpc-volumes.conf";
    private static final String HEADER = "# Volumes created over gRPC (blockhaus writes this file; one --export value per line)\n";

    private final Path dir;
    private final Path file;

    ApiVolumeFile(Path dataDir) {
        this.dir = dataDir.toAbsolutePath().normalize();
        this.file = dir.resolve(NAME);
    }

    Path path() {
        return file;
    }

    /** The remembered volumes; none when the file does not exist. IllegalArgumentException names a bad line. */
    List<ExportSpec> load() {
        if (!Files.exists(file)) {
            return List.of();
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        List<ExportSpec> specs = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            try {
                specs.add(ExportSpec.parse(line));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(file + " line " + (i + 1) + ": " + e.getMessage(), e);
            }
        }
        return List.copyOf(specs);
    }

    void save(List<ExportSpec> specs) {
        StringBuilder text = new StringBuilder(HEADER);
        for (ExportSpec s : specs) {
            text.append(s).append('\n');
        }
        Path tmp = dir.resolve(NAME + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ch.write(java.nio.ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.UTF_8)));
                ch.force(true);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
