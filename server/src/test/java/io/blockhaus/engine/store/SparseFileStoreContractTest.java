package io.blockhaus.engine.store;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

/** The contract on a real sparse file in a temporary directory, with the real system calls. */
class SparseFileStoreContractTest extends BackingStoreContractTest {
    @TempDir
    Path dir;
    private final AtomicInteger files = new AtomicInteger();

    protected NativeIo nativeIo() {
        return FfmNativeIo.instance();
    }

    /** Whether this file system punches holes itself (false where only the fallbacks work). */
    protected boolean punchesNatively() {
        return true;
    }

    /**
     * After a punch, the store says zeroing is fast exactly when the file system punched (NBD's
     * FAST_ZERO must be refused where zeroes would be written byte by byte).
     */
    @Test
    void zeroingIsFastOnlyWhereTheFileSystemPunches() {
        BackingStore s = create(1 << 20);
        s.punchHole(4096, 8192);
        assertThat(s.zeroesFast(false)).isEqualTo(punchesNatively());
    }

    protected Path directory() {
        return dir;
    }

    @Override
    protected BackingStore create(long size) {
        return SparseFileStore.create(nativeIo(), directory().resolve("store-" + files.incrementAndGet()), size);
    }

    @Override
    protected boolean newStoreReportsHoles() {
        return fileSystemReportsHoles(directory());
    }

    @Override
    protected boolean punchDeallocates() {
        return fileSystemReportsHoles(directory());
    }

    /**
     * Asks the file system itself, without the store: a file with one byte written in the middle
     * of a megabyte. Where SEEK_DATA finds that byte's block and not offset 0, holes are real.
     */
    static boolean fileSystemReportsHoles(Path dir) {
        Path probe = dir.resolve("hole-probe");
        try (RandomAccessFile f = new RandomAccessFile(probe.toFile(), "rw")) {
            f.setLength(1 << 20);
            f.seek(512 * 1024);
            f.write(1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        NativeIo io = FfmNativeIo.instance();
        try {
            int fd = io.open(probe, NativeIo.O_RDONLY, 0);
            try {
                return io.lseek(fd, 0, NativeIo.SEEK_DATA) > 0;
            } finally {
                io.close(fd);
                probe.toFile().delete();
            }
        } catch (NativeIoException e) {
            return false; // no SEEK_DATA at all: the store reports everything as data
        }
    }
}
