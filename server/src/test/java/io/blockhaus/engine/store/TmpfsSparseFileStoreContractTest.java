package io.blockhaus.engine.store;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The contract on tmpfs (/dev/shm), whose real kernel refuses collapse, insert and zero range
 * with EOPNOTSUPP while punching holes: the fallbacks against a real refusal, not a simulated one.
 * Skipped where /dev/shm is not a writable tmpfs.
 */
class TmpfsSparseFileStoreContractTest extends SparseFileStoreContractTest {
    private Path shm;

    @BeforeEach
    void makeDirectory() throws IOException {
        Path root = Path.of("/dev/shm");
        Assumptions.assumeTrue(Files.isDirectory(root) && Files.isWritable(root)
                && "tmpfs".equals(Files.getFileStore(root).type()), "/dev/shm is not a writable tmpfs");
        shm = Files.createTempDirectory(root, "blockhaus-store-");
    }

    @AfterEach
    void removeDirectory() throws IOException {
        if (shm != null) {
            try (Stream<Path> paths = Files.walk(shm)) {
                for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    @Override
    protected Path directory() {
        return shm;
    }

    /** shmem refuses RWF_NOWAIT with EOPNOTSUPP (Linux 6.18 here): the store must then say false. */
    @Override
    protected boolean readsFromMemory() {
        return false;
    }

    /** tmpfs refuses collapse and insert but punches holes: the store must have noticed neither wrongly. */
    @org.junit.jupiter.api.Test
    void collapseFallsBackAndPunchStaysNative() {
        BackingStore s = create(64 * 4096);
        s.punchHole(0, 4096);
        s.collapseRange(4096, 4096);
        org.assertj.core.api.Assertions.assertThat(s.size()).isEqualTo(63 * 4096);
        org.assertj.core.api.Assertions.assertThat(s.zeroesFast(false)).isTrue();
    }
}
