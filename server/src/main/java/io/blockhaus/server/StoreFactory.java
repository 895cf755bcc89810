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
}
