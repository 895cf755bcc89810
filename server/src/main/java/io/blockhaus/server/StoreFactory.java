package io.blockhaus.server;

import io.blockhaus.engine.store.BackingStore;
import java.nio.file.Path;

/** Opens the backing store of one volume. The seam between start-up and the store implementation. */
@FunctionalInterface
public interface StoreFactory {

    /**
     * Opens {@code file}, creating it as a sparse file of {@code sizeIfNew} bytes when it does not exist.
     * An existing file is opened with its current size; {@code sizeIfNew} is then ignored.
     *
     * @param readOnly open for reading only (the file must exist)
     */
    BackingStore open(Path file, long sizeIfNew, boolean readOnly);

    /**
     * Opens the store {@code plan} names. A file factory only opens files; {@link S3StoreFactory}
     * also opens s3 volumes, which may come out read-only although the plan did not ask for it
     * (another server owns the volume).
     */
    default Opened open(VolumePlan plan) {
        if (plan.s3().isPresent()) {
            throw new IllegalArgumentException("this server opens only files, not " + plan.where());
        }
        return new Opened(open(plan.file(), plan.size(), plan.config().readOnly()), plan.config().readOnly());
    }

    /**
     * A store as opened.
     *
     * @param readOnly whether the volume must be served read-only: the plan asked for it, or the
     *                 store allows no writes (an s3 volume another server owns)
     */
    record Opened(BackingStore store, boolean readOnly) {
    }
}
