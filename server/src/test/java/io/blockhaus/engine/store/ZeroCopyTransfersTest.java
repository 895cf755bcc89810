package io.blockhaus.engine.store;

import static io.blockhaus.engine.store.BackingStoreContractTest.pattern;
import static io.blockhaus.engine.store.BackingStoreContractTest.write;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The send channel of {@link ZeroCopyTransfers} (splicing into the file is {@code PipeTest}'s):
 * it is the store's own file whatever happened to the name since, opened once, and closed with
 * the store; none is opened after close.
 */
class ZeroCopyTransfersTest {
    private static final int SIZE = 1 << 16;

    @TempDir
    Path dir;

    @Test
    void theChannelIsTheStoresOwnFileEvenAfterItsNameWasReplaced() throws IOException {
        Path path = dir.resolve("f");
        byte[] data = pattern(SIZE, 21);
        try (SparseFileStore store = SparseFileStore.create(path, SIZE)) {
            write(store, 0, data);
            Files.move(path, dir.resolve("moved"));
            Files.write(path, new byte[SIZE]); // someone else's file under the old name
            FileChannel ch = store.channelForSending();
            assertThat(ch).isNotNull();
            assertThat(store.channelForSending()).as("opened once").isSameAs(ch);
            ByteBuffer got = ByteBuffer.allocate(SIZE);
            while (got.hasRemaining() && ch.read(got, got.position()) > 0) {
                // a positional read of the whole file
            }
            assertThat(got.array()).isEqualTo(data);
            store.close();
            assertThat(ch.isOpen()).as("closed with the store").isFalse();
        }
    }

    @Test
    void noChannelIsOpenedAfterClose() {
        SparseFileStore store = SparseFileStore.create(dir.resolve("f"), SIZE);
        store.close();
        assertThat(store.channelForSending()).isNull();
    }
}
