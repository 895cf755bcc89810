package io.blockhaus.server;

import io.blockhaus.engine.Handle;
import io.blockhaus.engine.Volume;
import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import io.blockhaus.grpc.LockStatsBook;
import io.blockhaus.grpc.LockStatsRecorder;
import io.blockhaus.grpc.RequestException;
import io.blockhaus.grpc.VolumeCatalog;
import io.blockhaus.limits.UntrustedText;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The gRPC front end's view of the server's volumes, over the same {@link VolumeRegistry} the
 * NBD front end finds its exports in (through {@link RegistryExports}), so a created volume is
 * exported over NBD at once. Volumes created here live in {@code <data-dir>/<name>.img} and are
 * remembered in {@link ApiVolumeFile}; volumes from the command line can be resized but not
 * deleted here. Changes are serialised (one admin change at a time is plenty).
 */
final class ServerCatalog implements VolumeCatalog {
    private final Path dataDir;
    private final VolumeRegistry registry;
    private final VolumeRegistry.VolumeOpener opener;
    private final ApiVolumeFile file;
    private final LockStatsBook stats;
    private final Map<String, ExportSpec> created = new LinkedHashMap<>(); // guarded by this

    /** {@code remembered}: the API volumes start-up opened from {@code file}. */
    ServerCatalog(Path dataDir, VolumeRegistry registry, VolumeRegistry.VolumeOpener opener, ApiVolumeFile file,
            LockStatsBook stats, List<ExportSpec> remembered) {
        this.dataDir = dataDir.toAbsolutePath().normalize();
        this.registry = registry;
        this.opener = opener;
        this.file = file;
        this.stats = stats;
        for (ExportSpec s : remembered) {
            created.put(s.name(), s);
        }
    }

    @Override
    public Optional<Volume> find(String id) {
        return registry.get(id);
    }

    @Override
    public synchronized List<Entry> list() {
        List<Entry> out = new ArrayList<>();
        for (Volume v : registry.volumes()) {
            out.add(new Entry(v, created.containsKey(v.name())));
        }
        return out;
    }

    @Override
    public synchronized Entry create(NewVolume n) {
        if (registry.get(n.id()).isPresent()) {
            throw RequestException.alreadyExists("volume " + n.id() + " already exists");
        }
        if (n.readOnly()) {
            throw RequestException.invalid("a new volume cannot be read-only: it would stay empty");
        }
        ExportSpec spec;
        try {
            spec = new ExportSpec(n.id(), OptionalLong.empty(), Optional.empty(), false, n.io(), n.lockPolicy(),
                    n.pageSize(), n.bypassBytes());
        } catch (IllegalArgumentException e) {
            throw RequestException.invalid(e.getMessage());
        }
        if (n.sizeBytes() > Volume.MAX_SIZE) {
            throw new ErrnoException(Errno.EFBIG, "size " + n.sizeBytes() + " is larger than the largest volume, " + Volume.MAX_SIZE);
        }
        Path path = VolumePlan.fileOf(dataDir, spec);
        if (!dataDir.equals(path.getParent())) {
            // Cannot happen with a valid name (no '/'); checked anyway, as the last word before creating a file.
            throw RequestException.invalid("volume " + n.id() + " would not live in the data directory " + dataDir);
        }
        // NOFOLLOW_LINKS: a symbolic link there (even a dangling one, which plain exists() calls
        // absent) must not be followed out of the data directory. The create itself (O_EXCL)
        // would not follow it either; this gives the clear error and leaves the link alone.
        if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            throw RequestException.alreadyExists((Files.isSymbolicLink(path) ? "a symbolic link " : "file ") + path
                    + " already exists; the server never adopts a stray file nor follows a link out of the data directory");
        }
        VolumePlan plan = new VolumePlan(spec.toVolumeConfig(), path, n.sizeBytes(), true);
        try {
            registry.openAll(List.of(plan), () -> opener);
        } catch (RuntimeException e) {
            deleteQuietly(path);
            throw new ErrnoException(Errno.EIO, "cannot create volume " + n.id() + ": " + StartupException.describe(e), e);
        }
        created.put(n.id(), spec);
        try {
            file.save(List.copyOf(created.values()));
        } catch (RuntimeException e) {
            created.remove(n.id());
            registry.remove(n.id()).ifPresent(Volume::close);
            deleteQuietly(path);
            throw new ErrnoException(Errno.EIO, "cannot remember volume " + n.id() + ": " + e.getMessage(), e);
        }
        return new Entry(registry.get(n.id()).orElseThrow(), true);
    }

    @Override
    public synchronized void delete(String id, boolean force) {
        Volume v = registry.get(id).orElseThrow(() -> RequestException.notFound("no volume " + UntrustedText.quote("volumes/" + id)));
        ExportSpec spec = created.get(id);
        if (spec == null) {
            throw new ErrnoException(Errno.EPERM, "volume " + id + " is exported on the command line; only the operator removes it");
        }
        if (!force && v.openHandles() > 0) {
            throw new ErrnoException(Errno.EBUSY, "volume " + id + " has " + v.openHandles()
                    + " open handles (gRPC or NBD); close them or delete with force");
        }
        // Forgotten on disk first: if that fails, nothing has changed.
        List<ExportSpec> rest = new ArrayList<>(created.values());
        rest.remove(spec);
        try {
            file.save(rest);
        } catch (RuntimeException e) {
            throw new ErrnoException(Errno.EIO, "cannot forget volume " + id + ": " + e.getMessage(), e);
        }
        created.remove(id);
        registry.remove(id);
        stats.forget(id);
        try {
            v.close();
        } finally {
            deleteQuietly(VolumePlan.fileOf(dataDir, spec));
        }
    }

    @Override
    public synchronized Entry resize(String id, long sizeBytes) {
        Volume v = registry.get(id).orElseThrow(() -> RequestException.notFound("no volume " + UntrustedText.quote("volumes/" + id)));
        try (Handle h = v.open()) {
            h.truncate(sizeBytes);
        }
        return new Entry(v, created.containsKey(id));
    }

    @Override
    public Optional<LockStatsRecorder> lockStats(String id) {
        return stats.find(id);
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // Nothing refers to the file any more; a leftover is only disk space, and create refuses it.
        }
    }
}
