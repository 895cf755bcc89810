package io.blockhaus.server;

import io.blockhaus.engine.VolumeConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One volume the server will open: its engine configuration, its backing file and its size.
 * {@link #resolve} turns the {@code --export} options into plans; it looks at the file system
 * (does the file exist, how large is it) but changes nothing.
 *
 * <p>A volume in object storage ({@code store=s3}) has no file: its plan has {@code file} null and
 * {@code s3} present, and its size is only known once its manifest is read, at open.
 *
 * @param config the engine's configuration of the volume
 * @param file   absolute, normalised path of the backing file; null for an s3 volume
 * @param size   the volume's size in bytes: the file's size when it exists, else the size to create;
 *               for an s3 volume the size to create it with, or 0 when it must exist
 * @param create whether the file does not exist yet and will be created (sparse) with {@code size};
 *               always false for an s3 volume (whether it exists is learnt at open)
 * @param s3     where an s3 volume lives; empty for a file
 */
public record VolumePlan(VolumeConfig config, Path file, long size, boolean create, Optional<S3Export> s3) {

    /** The export served when no {@code --export} is given. */
    public static final String DEFAULT_EXPORT_NAME = "default";
    /** Size of the default export's file when it is first created: 1 GiB. */
    public static final long DEFAULT_EXPORT_SIZE = 1L << 30;

    public VolumePlan {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(s3, "s3");
        if (s3.isEmpty()) {
            Objects.requireNonNull(file, "file");
            if (size <= 0) {
                throw new IllegalArgumentException("size must be positive");
            }
        } else if (file != null || size < 0 || create) {
            throw new IllegalArgumentException("an s3 volume has no file, a size >= 0 and create false");
        }
    }

    /** A file volume. */
    public VolumePlan(VolumeConfig config, Path file, long size, boolean create) {
        this(config, file, size, create, Optional.empty());
    }

    /** Where the bytes live, for messages: the file, or {@code s3://bucket/root}. */
    public String where() {
        return s3.isPresent() ? s3.get().describe(name()) : file.toString();
    }

    public String name() {
        return config.name();
    }

    /**
     * Plans every export. With no exports, plans {@value #DEFAULT_EXPORT_NAME}: {@code <data-dir>/default.img},
     * created as a 1 GiB sparse file on first start and reopened, whatever its size, afterwards.
     *
     * @throws IllegalArgumentException for a configuration that cannot be served: two exports with one
     *         name or one file, a relative path leaving the data directory, a size= that differs from an
     *         existing file, a missing size= for a new file, a read-only export of a missing file, a path
     *         that is not a regular file
     * @throws UncheckedIOException when an existing file's size cannot be read
     */
    public static List<VolumePlan> resolve(Path dataDir, List<ExportSpec> exports) {
        Path dir = dataDir.toAbsolutePath().normalize();
        boolean implicitDefault = exports.isEmpty();
        List<ExportSpec> specs = implicitDefault ? List.of(ExportSpec.named(DEFAULT_EXPORT_NAME)) : exports;
        Map<String, ExportSpec> byName = new HashMap<>();
        Map<Path, String> byFile = new HashMap<>();
        Map<String, String> byRoot = new HashMap<>();
        List<VolumePlan> plans = new ArrayList<>();
        for (ExportSpec spec : specs) {
            if (byName.putIfAbsent(spec.name(), spec) != null) {
                throw new IllegalArgumentException("export name '" + spec.name() + "' is given twice");
            }
            if (spec.s3().isPresent()) {
                S3Export o = spec.s3().get();
                String other = byRoot.putIfAbsent(o.bucket() + "/" + o.root(spec.name()), spec.name());
                if (other != null) {
                    throw new IllegalArgumentException("exports '" + other + "' and '" + spec.name() + "' both use "
                            + o.describe(spec.name()) + "; each export needs its own prefix");
                }
                plans.add(new VolumePlan(spec.toVolumeConfig(), null, spec.size().orElse(0), false, spec.s3()));
                continue;
            }
            Path file = fileOf(dir, spec);
            String other = byFile.putIfAbsent(file, spec.name());
            if (other != null) {
                throw new IllegalArgumentException("exports '" + other + "' and '" + spec.name()
                        + "' both use " + file + "; each export needs its own file");
            }
            plans.add(plan(spec, file, implicitDefault));
        }
        rejectSameFileTwice(plans);
        return List.copyOf(plans);
    }

    /** Where the export's bytes live; see {@link ExportSpec} for the rules. */
    static Path fileOf(Path dataDir, ExportSpec spec) {
        Path dir = dataDir.toAbsolutePath().normalize();
        if (spec.path().isEmpty()) {
            return dir.resolve(spec.name() + ".img");
        }
        Path p = spec.path().get();
        if (p.isAbsolute()) {
            return p.normalize();
        }
        Path file = dir.resolve(p).normalize();
        if (!file.startsWith(dir) || file.equals(dir)) {
            throw new IllegalArgumentException("export '" + spec.name() + "': path=" + p
                    + " leaves the data directory " + dir + "; give an absolute path to use a file outside it");
        }
        return file;
    }

    private static VolumePlan plan(ExportSpec spec, Path file, boolean implicitDefault) {
        VolumeConfig config = spec.toVolumeConfig();
        String what = "export '" + spec.name() + "'";
        if (Files.exists(file)) {
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException(what + ": " + file + " exists but is not a regular file");
            }
            long existing;
            try {
                existing = Files.size(file);
            } catch (IOException e) {
                throw new UncheckedIOException(what + ": cannot read the size of " + file + ": " + e.getMessage(), e);
            }
            if (existing == 0) {
                throw new IllegalArgumentException(what + ": " + file + " is empty; a volume needs at least one byte (delete the file, or point path= elsewhere)");
            }
            if (spec.size().isPresent() && spec.size().getAsLong() != existing) {
                throw new IllegalArgumentException(what + ": size=" + SizeParser.format(spec.size().getAsLong())
                        + " but " + file + " already exists with " + existing + " bytes (" + SizeParser.format(existing)
                        + "); the server never resizes a file on start: drop size= or give the file's size");
            }
            return new VolumePlan(config, file, existing, false);
        }
        if (spec.readOnly()) {
            throw new IllegalArgumentException(what + " is read-only but " + file + " does not exist");
        }
        long size;
        if (spec.size().isPresent()) {
            size = spec.size().getAsLong();
        } else if (implicitDefault) {
            size = DEFAULT_EXPORT_SIZE;
        } else {
            throw new IllegalArgumentException(what + ": " + file + " does not exist yet, so size= is required to create it");
        }
        Path parent = file.getParent();
        if (parent != null && Files.exists(parent) && !Files.isDirectory(parent)) {
            throw new IllegalArgumentException(what + ": " + parent + " is not a directory");
        }
        return new VolumePlan(config, file, size, true);
    }

    private static void rejectSameFileTwice(List<VolumePlan> plans) {
        for (int i = 0; i < plans.size(); i++) {
            for (int j = i + 1; j < plans.size(); j++) {
                VolumePlan a = plans.get(i);
                VolumePlan b = plans.get(j);
                if (a.create() || b.create() || a.file() == null || b.file() == null) {
                    continue;
                }
                try {
                    if (Files.isSameFile(a.file(), b.file())) {
                        throw new IllegalArgumentException("exports '" + a.name() + "' and '" + b.name()
                                + "' are the same file (" + a.file() + " and " + b.file() + "); each export needs its own file");
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot compare " + a.file() + " and " + b.file() + ": " + e.getMessage(), e);
                }
            }
        }
    }
}
