package io.blockhaus.grpc;

import io.blockhaus.engine.Volume;
import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import java.util.List;
import java.util.Optional;

/** A catalog of volumes a test opened itself; admin changes are ENOTSUP (the server's catalog has its own tests). */
public final class FixedCatalog implements VolumeCatalog {
    private final List<Volume> volumes;
    private final LockStatsBook stats;

    public FixedCatalog(List<Volume> volumes, LockStatsBook stats) {
        this.volumes = List.copyOf(volumes);
        this.stats = stats;
    }

    @Override
    public Optional<Volume> find(String id) {
        return volumes.stream().filter(v -> v.name().equals(id)).findFirst();
    }

    @Override
    public List<Entry> list() {
        return volumes.stream().map(v -> new Entry(v, false)).toList();
    }

    @Override
    public Entry create(NewVolume spec) {
        throw new ErrnoException(Errno.ENOTSUP, "fixed catalog");
    }

    @Override
    public void delete(String id, boolean force) {
        throw new ErrnoException(Errno.ENOTSUP, "fixed catalog");
    }

    @Override
    public Entry resize(String id, long sizeBytes) {
        Volume v = find(id).orElseThrow(() -> RequestException.notFound(id));
        try (var h = v.open()) {
            h.truncate(sizeBytes);
        }
        return new Entry(v, false);
    }

    @Override
    public Optional<LockStatsRecorder> lockStats(String id) {
        return stats.find(id);
    }
}
