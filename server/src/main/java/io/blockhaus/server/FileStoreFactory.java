package io.blockhaus.server;

import io.blockhaus.engine.store.BackingStore;
import java.nio.file.Path;

/** The production {@link StoreFactory}: volumes live in sparse files. */
public final class FileStoreFactory implements StoreFactory {

    @Override
    public BackingStore open(Path file, long sizeIfNew, boolean readOnly) {
        // TODO(store): the single wiring point. Replace this line with the SparseFileStore factory, e.g.
        //   return io.blockhaus.engine.store.SparseFileStore.open(file, sizeIfNew, readOnly);
        throw new UnsupportedOperationException("wired after store lands");
    }
}
