package io.blockhaus.server;

import io.blockhaus.engine.store.BackingStore;
import io.blockhaus.engine.store.SparseFileStore;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The production {@link StoreFactory}: every volume lives in a sparse file, created at its size
 * on first start and reopened at whatever size it has afterwards. A read-only export still opens
 * its file read-write (the store has no read-only mode yet); the engine refuses every change to
 * it with EROFS.
 */
public final class FileStoreFactory implements StoreFactory {

    @Override
    public BackingStore open(Path file, long sizeIfNew, boolean readOnly) {
        return Files.exists(file) ? SparseFileStore.open(file) : SparseFileStore.create(file, sizeIfNew);
    }
}
