package io.blockhaus.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The lock under the data directory's and the exports' locks: shared and exclusive, and what a POSIX lock got wrong. */
class OfdLockTest {
    @TempDir
    Path dir;

    @Test
    void readersShareAWriterIsAloneAndReleaseLetsTheNextIn() throws Exception {
        Path f = Files.write(dir.resolve("f"), new byte[] {1});
        try (OfdLock r1 = OfdLock.tryLock(f, false, false).orElseThrow();
                OfdLock r2 = OfdLock.tryLock(f, false, false).orElseThrow()) {
            assertThat(OfdLock.tryLock(f, true, false)).as("a writer beside two readers").isEmpty();
        }
        OfdLock w = OfdLock.tryLock(f, true, false).orElseThrow();
        assertThat(OfdLock.tryLock(f, true, false)).as("a second writer").isEmpty();
        assertThat(OfdLock.tryLock(f, false, false)).as("a reader beside the writer").isEmpty();
        w.close();
        w.close(); // idempotent
        try (OfdLock again = OfdLock.tryLock(f, true, false).orElseThrow()) {
            assertThat(again.file()).isEqualTo(f);
        }
    }

    /**
     * The reason for OfdLock: with FileChannel.tryLock (a POSIX lock) closing any other descriptor
     * of the file in this process, as a refused second attempt does, drops the lock.
     */
    @Test
    void closingAnotherDescriptorOfTheFileKeepsTheLock() throws Exception {
        Path f = dir.resolve("lock");
        try (OfdLock held = OfdLock.tryLock(f, true, true).orElseThrow()) {
            assertThat(Files.exists(f)).isTrue();
            Optional<OfdLock> refused = OfdLock.tryLock(f, true, true);
            assertThat(refused).isEmpty(); // its descriptor is closed by now
            try (FileChannel other = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                assertThat(other.size()).isZero();
            }
            assertThat(OfdLock.tryLock(f, true, true)).as("still held after two other descriptors closed").isEmpty();
            assertThat(Files.readString(Path.of("/proc/locks"))).contains("OFDLCK");
        }
        try (OfdLock next = OfdLock.tryLock(f, true, true).orElseThrow()) {
            assertThat(next.file()).isEqualTo(f);
        }
    }

    @Test
    void aMissingFileWithoutCreateIsAnErrorNamingIt() {
        Path f = dir.resolve("missing");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> OfdLock.tryLock(f, false, false))
                .isInstanceOf(java.io.IOException.class).hasMessageContaining(f.toString()).hasMessageContaining("ENOENT");
        assertThat(Files.exists(f)).isFalse();
    }
}
