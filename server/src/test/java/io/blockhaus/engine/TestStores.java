package io.blockhaus.engine;

import io.blockhaus.engine.store.BackingStore;
import java.nio.file.Path;

/**
 * The one place tests get backing stores from, so that switching every test to the production
 * stores is a one-line change here.
 *
 * <p>For now {@link #memory} returns the test-only {@link ArrayStore}; the lead will switch it to
 * {@code io.blockhaus.engine.store.MemoryStore} once that lands. Tests must therefore only use the
 * {@link BackingStore} interface on what these methods return (an {@code instanceof ArrayStore}
 * check is fine for extra assertions).
 */
public final class TestStores {
    private TestStores() {
    }

    /** A sparse in-memory store of {@code size} bytes, block alignment 4096. */
    public static BackingStore memory(long size) {
        return new ArrayStore(size);
    }

    /** Creates a sparse file of {@code size} bytes at {@code path} and returns a store over it. */
    public static BackingStore file(Path path, long size) {
        throw new UnsupportedOperationException("wired when SparseFileStore lands");
    }

    /** Opens an existing sparse file store at {@code path} (its size is the file's). */
    public static BackingStore openFile(Path path) {
        throw new UnsupportedOperationException("wired when SparseFileStore lands");
    }
}
