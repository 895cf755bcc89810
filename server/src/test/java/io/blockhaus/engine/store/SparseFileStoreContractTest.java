package io.blockhaus.engine.store;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
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

    /**
     * Data just written sits in the kernel's page cache, so the RWF_NOWAIT read finds it (where
     * the file system cannot tell, the store must say false, never block or read wrong bytes);
     * ranges past the end and heap buffers are refused.
     */
    @Test
    void readIfInMemoryReturnsWhatTheKernelHoldsOrFalse() {
        BackingStore s = create(64 << 10);
        byte[] data = pattern(3 * 4096, 41);
        write(s, 8192, data);
        ByteBuffer a = ByteBuffer.allocateDirect(4096);
        ByteBuffer b = ByteBuffer.allocateDirect(2 * 4096);
        boolean read = s.readIfInMemory(8192, new ByteBuffer[] {a, b});
        if (read) {
            assertThat(a.hasRemaining() || b.hasRemaining()).as("buffers consumed").isFalse();
            byte[] got = new byte[data.length];
            a.flip().get(got, 0, 4096);
            b.flip().get(got, 4096, 8192);
            assertThat(got).isEqualTo(data);
        }
        assertThat(read).as("an ext4/xfs/tmpfs file answers from memory on Linux >= 5.x")
                .isEqualTo(readsFromMemory());
        assertThat(s.readIfInMemory((64 << 10) - 4096, new ByteBuffer[] {ByteBuffer.allocateDirect(8192)}))
                .as("past the end").isFalse();
        assertThat(s.readIfInMemory(0, new ByteBuffer[] {ByteBuffer.allocate(4096)})).as("heap buffer").isFalse();
    }

    /** Whether this directory's file system answers RWF_NOWAIT reads (every one we run on does). */
    protected boolean readsFromMemory() {
        return true;
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
