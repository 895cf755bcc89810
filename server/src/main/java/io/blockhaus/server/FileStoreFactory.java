package io.blockhaus.server;

import io.blockhaus.engine.store.BackingStore;
import io.blockhaus.engine.store.SparseFileStore;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The production {@link StoreFactory}: every volume lives in a sparse file, created at its size
 * on first start and reopened at whatever size it has afterwards. A read-only export opens its
 * (existing) file for reading only, so an image the server may not write can be served, and
 * nothing can change it even if the engine's EROFS checks were bypassed.
 */
public final class FileStoreFactory implements StoreFactory {

    @Override
    public BackingStore open(Path file, long sizeIfNew, boolean readOnly) {
        if (readOnly) {
            return SparseFileStore.openReadOnly(file);
        }
        return Files.exists(file) ? SparseFileStore.open(file) : SparseFileStore.create(file, sizeIfNew);
    }
}
