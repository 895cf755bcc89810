package io.blockhaus.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import io.blockhaus.engine.store.BackingStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileStoreFactoryTest {
    @TempDir
    Path dir;

    private final FileStoreFactory factory = new FileStoreFactory();

    @Test
    void readWriteCreatesAMissingFileAtItsSizeAndReopensAnExistingOneAtItsOwn() throws IOException {
        Path file = dir.resolve("v.img");
        try (BackingStore s = factory.open(file, 1 << 20, false)) {
            s.write(4096, ByteBuffer.wrap("hello".getBytes()));
        }
        assertThat(Files.size(file)).isEqualTo(1 << 20);
        try (BackingStore s = factory.open(file, 4096, false)) {
            assertThat(s.size()).isEqualTo(1 << 20);
        }
    }

    @Test
    void readOnlyNeverCreatesAndRefusesWritesWithErofsLeavingTheBytes() throws IOException {
        assertThatThrownBy(() -> factory.open(dir.resolve("missing.img"), 4096, true))
                .isInstanceOf(ErrnoException.class);
        assertThat(dir.resolve("missing.img")).doesNotExist();

        Path file = dir.resolve("ro.img");
        byte[] bytes = new byte[8192];
        bytes[100] = 42;
        Files.write(file, bytes);
        try (BackingStore s = factory.open(file, 4096, true)) {
            ByteBuffer dst = ByteBuffer.allocate(8192);
            s.read(0, dst);
            assertThat(dst.array()).isEqualTo(bytes);
            assertThatThrownBy(() -> s.write(0, ByteBuffer.wrap(new byte[4096])))
                    .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EROFS));
            assertThatThrownBy(() -> s.truncate(0))
                    .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EROFS));
        }
        assertThat(Files.readAllBytes(file)).isEqualTo(bytes);
    }
}
