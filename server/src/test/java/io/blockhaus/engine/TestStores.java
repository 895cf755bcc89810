package io.blockhaus.engine;

import io.blockhaus.engine.store.BackingStore;
import io.blockhaus.engine.store.MemoryStore;
import io.blockhaus.engine.store.SparseFileStore;
import java.nio.file.Path;

/**
 * The one place tests get backing stores from, so that switching every test to the production
 * stores is a one-line change here.
 *
 * <p>{@link #memory} is the production {@link MemoryStore}; the test-only {@link ArrayStore}
 * stays as an independent reference implementation. Tests only use the {@link BackingStore}
 * interface on what these methods return.
 */
public final class TestStores {
    private TestStores() {
    }

    /** A sparse in-memory store of {@code size} bytes, block alignment 4096. */
    public static BackingStore memory(long size) {
        return new MemoryStore(size);
    }

    /** Creates a sparse file of {@code size} bytes at {@code path} and returns a store over it. */
    public static BackingStore file(Path path, long size) {
        return SparseFileStore.create(path, size);
    }

    /** Opens an existing sparse file store at {@code path} (its size is the file's). */
    public static BackingStore openFile(Path path) {
        return SparseFileStore.open(path);
    }
}
