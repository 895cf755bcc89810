package io.blockhaus.server;

import io.blockhaus.engine.IoMode;
import io.blockhaus.engine.VolumeConfig;
import io.blockhaus.engine.lock.LockPolicy;
import io.blockhaus.limits.UntrustedText;
import io.blockhaus.tls.AllowList;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * One {@code --export} as the operator wrote it:
 * {@code name=NAME[,size=SIZE][,path=FILE][,readonly][,io=buffered|direct][,lock=two-state|range][,page-size=N][,bypass=SIZE|off][,allow=ID[;ID...]]},
 * or for a volume in object storage {@code name=NAME,store=s3,bucket=B[,prefix=P][,object-size=SIZE][,size=SIZE][,...]}.
 *
 * <p>Where the volume's bytes live ({@link VolumePlan} applies these rules):
 * <ul>
 *   <li>without {@code path=}: {@code <data-dir>/<name>.img}. Names are restricted by
 *       {@link VolumeConfig#validName} (no '/', never starting with '.'), so a name alone can never
 *       point outside the data directory;</li>
 *   <li>{@code path=} relative: resolved inside the data directory, and must stay inside it
 *       ({@code path=../x} is an error);</li>
 *   <li>{@code path=} absolute: used as given. This is the only way to put a volume outside the data
 *       directory, and only the operator, on the command line, can ask for it.</li>
 * </ul>
 * The value of {@code path=} ends at the next comma, so a path cannot contain one.
 *
 * <p>{@code store=s3} puts the volume in a bucket instead ({@link S3Export}; docs/s3.md): there is
 * no file, so {@code path=} is an error with it, and {@code bucket=}, {@code prefix=},
 * {@code object-size=} are errors without it.
 *
 * <p>Size: {@code size=} is required when the file does not exist yet (it is then created, sparse,
 * with that size). When the file exists, its current size is the volume's size; a {@code size=}
 * that differs from it is an error: the server never grows or shrinks a file on its own.
 *
 * @param name     the export name, valid per {@link VolumeConfig#validName}
 * @param size     bytes, when given
 * @param path     the file, as written (relative or absolute), when given
 * @param readOnly refuse every change
 * @param io       how plain reads and writes are served
 * @param lock     the pagecache lock policy
 * @param pageSize cache page size in bytes
 * @param bypassBytes buffered transfers at least this long over uncached ranges go around the cache; 0 = never
 * @param allow    who may list and open it ({@code allow=ID[;ID...]}); {@link AllowList#ANYONE} without the key
 * @param s3       where the volume lives in object storage ({@code store=s3}); empty for a file
 */
public record ExportSpec(String name, OptionalLong size, Optional<Path> path, boolean readOnly, IoMode io,
        LockPolicy lock, int pageSize, int bypassBytes, AllowList allow, Optional<S3Export> s3) {

    /** The keys {@link #parse} knows, in the order the help lists them. */
    public static final List<String> KEYS = List.of("name", "size", "path", "readonly", "io", "lock", "page-size",
            "bypass", "allow", "store", "bucket", "prefix", "object-size");

    public ExportSpec {
        Objects.requireNonNull(allow, "allow");
        Objects.requireNonNull(size, "size");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(io, "io");
        Objects.requireNonNull(lock, "lock");
        Objects.requireNonNull(s3, "s3");
        if (!VolumeConfig.validName(name)) {
            throw new IllegalArgumentException("invalid export name " + UntrustedText.quote(name)
                    + ": use 1-255 characters of A-Z a-z 0-9 . _ - not starting with '.'");
        }
        if (size.isPresent() && size.getAsLong() <= 0) {
            throw new IllegalArgumentException("export '" + name + "': size must be greater than zero");
        }
        if (pageSize < 512 || pageSize > 65536 || Integer.bitCount(pageSize) != 1) {
            throw new IllegalArgumentException("export '" + name + "': page size " + pageSize
                    + " must be a power of two from 512 to 64K");
        }
        if (bypassBytes < 0) {
            throw new IllegalArgumentException("export '" + name + "': bypass threshold must be 0 (off) or positive");
        }
        if (s3.isPresent() && path.isPresent()) {
            throw new IllegalArgumentException("export '" + name + "': " + PATH_WITH_S3);
        }
        if (s3.isPresent() && s3.get().objectSize() < pageSize) {
            throw new IllegalArgumentException("export '" + name + "': object size " + SizeParser.format(s3.get().objectSize())
                    + " is smaller than the page size " + SizeParser.format(pageSize));
        }
    }

    private static final String PATH_WITH_S3 = "path= names a file, but store=s3 keeps the volume in a bucket: drop one of them";

    /** A file export (no {@code store=s3}). */
    public ExportSpec(String name, OptionalLong size, Optional<Path> path, boolean readOnly, IoMode io,
            LockPolicy lock, int pageSize, int bypassBytes, AllowList allow) {
        this(name, size, path, readOnly, io, lock, pageSize, bypassBytes, allow, Optional.empty());
    }

    /** An export open to anyone (no {@code allow=}). */
    public ExportSpec(String name, OptionalLong size, Optional<Path> path, boolean readOnly, IoMode io,
            LockPolicy lock, int pageSize, int bypassBytes) {
        this(name, size, path, readOnly, io, lock, pageSize, bypassBytes, AllowList.ANYONE);
    }

    /** An export with every option at its default: no size, default path, read-write, buffered, two-state, 4K pages. */
    public static ExportSpec named(String name) {
        return new ExportSpec(name, OptionalLong.empty(), Optional.empty(), false, IoMode.BUFFERED,
                LockPolicy.TWO_STATE, VolumeConfig.DEFAULT_PAGE_SIZE, VolumeConfig.DEFAULT_BYPASS_BYTES);
    }

    /** Parses one {@code --export} value. Every error names the offending part and the whole value. */
    public static ExportSpec parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("empty export; expected name=NAME,size=SIZE[,...]");
        }
        String name = null;
        OptionalLong size = OptionalLong.empty();
        Optional<Path> path = Optional.empty();
        boolean readOnly = false;
        IoMode io = IoMode.BUFFERED;
        LockPolicy lock = LockPolicy.TWO_STATE;
        int pageSize = VolumeConfig.DEFAULT_PAGE_SIZE;
        int bypass = VolumeConfig.DEFAULT_BYPASS_BYTES;
        AllowList allow = AllowList.ANYONE;
        String store = "file";
        String bucket = null;
        String prefix = "";
        long objectSize = S3Export.DEFAULT_OBJECT_SIZE;
        Set<String> seen = new LinkedHashSet<>();
        for (String item : text.split(",", -1)) {
            if (item.isEmpty()) {
                throw bad(text, "empty item (two commas in a row, or a comma at either end)");
            }
            int eq = item.indexOf('=');
            String key = eq < 0 ? item : item.substring(0, eq);
            String value = eq < 0 ? null : item.substring(eq + 1);
            if (!KEYS.contains(key)) {
                throw bad(text, "unknown key '" + key + "' (known keys: " + String.join(", ", KEYS) + ")");
            }
            if (!seen.add(key)) {
                throw bad(text, "key '" + key + "' given twice");
            }
            if (key.equals("readonly")) {
                if (value != null) {
                    throw bad(text, "'readonly' takes no value; write just 'readonly'");
                }
                readOnly = true;
                continue;
            }
            if (value == null || value.isEmpty()) {
                throw bad(text, "key '" + key + "' needs a value, e.g. " + key + "=" + example(key));
            }
            try {
                switch (key) {
                    case "name" -> {
                        if (!VolumeConfig.validName(value)) {
                            throw new IllegalArgumentException("invalid name " + UntrustedText.quote(value)
                                    + ": use 1-255 characters of A-Z a-z 0-9 . _ - not starting with '.'");
                        }
                        name = value;
                    }
                    case "size" -> {
                        long n = SizeParser.parse(value);
                        if (n <= 0) {
                            throw new IllegalArgumentException("size must be greater than zero");
                        }
                        size = OptionalLong.of(n);
                    }
                    case "path" -> {
                        try {
                            path = Optional.of(Path.of(value));
                        } catch (InvalidPathException e) {
                            throw new IllegalArgumentException("invalid path " + UntrustedText.quote(value) + ": " + e.getReason());
                        }
                    }
                    case "io" -> io = IoMode.fromLabel(value);
                    case "lock" -> lock = LockPolicy.fromLabel(value);
                    case "page-size" -> {
                        long n = SizeParser.parse(value);
                        if (n < 512 || n > 65536 || Long.bitCount(n) != 1) {
                            throw new IllegalArgumentException("page size '" + value
                                    + "' must be a power of two from 512 to 64K");
                        }
                        pageSize = (int) n;
                    }
                    case "bypass" -> {
                        long n = value.equals("off") ? 0 : SizeParser.parse(value);
                        if (n > 1L << 30) {
                            throw new IllegalArgumentException("bypass threshold '" + value
                                    + "' must be 'off' or at most 1G");
                        }
                        bypass = (int) n;
                    }
                    case "allow" -> allow = AllowList.parse(value);
                    case "store" -> {
                        if (!value.equals("file") && !value.equals("s3")) {
                            throw new IllegalArgumentException("store '" + value + "' must be file or s3");
                        }
                        store = value;
                    }
                    case "bucket" -> bucket = value;
                    case "prefix" -> prefix = value;
                    case "object-size" -> {
                        objectSize = SizeParser.parse(value);
                        if (objectSize > S3Export.MAX_OBJECT_SIZE || Long.bitCount(objectSize) != 1) {
                            throw new IllegalArgumentException("object size '" + value
                                    + "' must be a power of two of at most 64M");
                        }
                    }
                    default -> throw new AssertionError(key);
                }
            } catch (IllegalArgumentException e) {
                throw bad(text, e.getMessage());
            }
        }
        if (name == null) {
            throw bad(text, "missing name=NAME");
        }
        Optional<S3Export> s3 = Optional.empty();
        if (store.equals("s3")) {
            if (path.isPresent()) {
                throw bad(text, PATH_WITH_S3);
            }
            if (bucket == null) {
                throw bad(text, "store=s3 needs bucket=BUCKET");
            }
            try {
                s3 = Optional.of(new S3Export(bucket, prefix, (int) objectSize));
            } catch (IllegalArgumentException e) {
                throw bad(text, e.getMessage());
            }
        } else {
            for (String k : List.of("bucket", "prefix", "object-size")) {
                if (seen.contains(k)) {
                    throw bad(text, k + "= is for volumes in object storage: add store=s3, or drop " + k + "=");
                }
            }
        }
        try {
            return new ExportSpec(name, size, path, readOnly, io, lock, pageSize, bypass, allow, s3);
        } catch (IllegalArgumentException e) {
            throw bad(text, e.getMessage());
        }
    }

    /** The engine's view of this export (size and file are not part of it; see {@link VolumePlan}). */
    public VolumeConfig toVolumeConfig() {
        return VolumeConfig.of(name).withPageSize(pageSize).withReadOnly(readOnly).withIo(io).withLockPolicy(lock)
                .withBypassBytes(bypassBytes);
    }

    /** The form {@link #parse} reads, with every option spelled out. */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("name=").append(name);
        size.ifPresent(n -> b.append(",size=").append(SizeParser.format(n)));
        path.ifPresent(p -> b.append(",path=").append(p));
        if (readOnly) {
            b.append(",readonly");
        }
        b.append(",io=").append(io == IoMode.DIRECT ? "direct" : "buffered");
        b.append(",lock=").append(lock.label());
        b.append(",page-size=").append(SizeParser.format(pageSize));
        b.append(",bypass=").append(bypassBytes == 0 ? "off" : SizeParser.format(bypassBytes));
        if (allow.restricted()) {
            b.append(",allow=").append(allow);
        }
        s3.ifPresent(o -> {
            b.append(",store=s3,bucket=").append(o.bucket());
            if (!o.prefix().isEmpty()) {
                b.append(",prefix=").append(o.prefix());
            }
            b.append(",object-size=").append(SizeParser.format(o.objectSize()));
        });
        return b.toString();
    }

    private static String example(String key) {
        return switch (key) {
            case "name" -> "disk1";
            case "size" -> "1G";
            case "path" -> "disk1.img";
            case "io" -> "buffered";
            case "lock" -> "two-state";
            case "page-size" -> "4K";
            case "bypass" -> "256K";
            case "allow" -> "alice;host.example.com";
            case "store" -> "s3";
            case "bucket" -> "volumes";
            case "prefix" -> "blockhaus/";
            case "object-size" -> "4M";
            default -> "...";
        };
    }

    /** How much of a bad --export value an error quotes: any real one whole, not a 10 KiB one. */
    private static final int SHOWN_SPEC = 512;

    private static IllegalArgumentException bad(String text, String why) {
        return new IllegalArgumentException(why + ", in " + UntrustedText.quote(text, SHOWN_SPEC));
    }
}
