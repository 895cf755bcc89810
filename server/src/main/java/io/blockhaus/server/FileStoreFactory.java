package io.blockhaus.server;

import io.blockhaus.engine.store.BackingStore;
import java.nio.file.Path;

/** The production {@link StoreFactory}: every volume lives in a sparse file. */
public final class FileStoreFactory implements StoreFactory {

    @Override
    public BackingStore open(Path file, long sizeIfNew, boolean readOnly) {
        return openSparseFile(file, sizeIfNew, readOnly);
    }

    /** TODO(store): the one wiring point; make this return the SparseFileStore for {@code file}. */
    private static BackingStore openSparseFile(Path file, long sizeIfNew, boolean readOnly) {
        throw new UnsupportedOperationException("wired after store lands");
    }
}
