package io.blockhaus.grpc;

import io.blockhaus.engine.IoMode;
import io.blockhaus.engine.Volume;
import io.blockhaus.engine.lock.LockPolicy;
import java.util.List;
import java.util.Optional;

/**
 * The server's volumes as the gRPC front end sees them. The server implements it over its
 * registry (creating files, exporting over NBD, remembering what was created across restarts);
 * this package only calls it. Failures: {@link RequestException} (ENOENT, EEXIST, EINVAL) or
 * {@link io.blockhaus.engine.errno.ErrnoException} (EBUSY while open, EPERM for volumes the
 * operator declared, EIO...).
 */
public interface VolumeCatalog {

    /** A volume as listed. */
    record Entry(Volume volume, boolean createdByApi) {
    }

    /** What CreateVolume asks for; the catalog validates it. {@code bypassBytes} 0 means off. */
    record NewVolume(String id, long sizeBytes, boolean readOnly, IoMode io, LockPolicy lockPolicy, int pageSize,
            int bypassBytes) {
    }

    Optional<Volume> find(String id);

    /** Every volume, in the order they were opened. */
    List<Entry> list();

    Entry create(NewVolume spec);

    /**
     * Deletes a volume created through the API, and its file. Without {@code force}, EBUSY while
     * any handle (gRPC or NBD) is open on it; with it, the volume is closed under them (their
     * next operation fails with ESHUTDOWN).
     */
    void delete(String id, boolean force);

    /** Sets the volume's size and remembers it. */
    Entry resize(String id, long sizeBytes);

    /** The volume's lock statistics, when the server records them. */
    Optional<LockStatsRecorder> lockStats(String id);
}
