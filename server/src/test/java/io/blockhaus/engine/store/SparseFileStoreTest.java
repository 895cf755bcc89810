package io.blockhaus.engine.store;

import io.blockhaus.engine.errno.Errno;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static io.blockhaus.engine.store.BackingStoreContractTest.assertContents;
import static io.blockhaus.engine.store.BackingStoreContractTest.assertErrno;
import static io.blockhaus.engine.store.BackingStoreContractTest.checkedExtents;
import static io.blockhaus.engine.store.BackingStoreContractTest.fill;
import static io.blockhaus.engine.store.BackingStoreContractTest.pattern;
import static io.blockhaus.engine.store.BackingStoreContractTest.read;
import static io.blockhaus.engine.store.BackingStoreContractTest.write;
import static io.blockhaus.engine.store.NativeIo.FALLOC_FL_COLLAPSE_RANGE;
import static io.blockhaus.engine.store.NativeIo.FALLOC_FL_INSERT_RANGE;
import static io.blockhaus.engine.store.NativeIo.FALLOC_FL_KEEP_SIZE;
import static io.blockhaus.engine.store.NativeIo.FALLOC_FL_PUNCH_HOLE;
import static io.blockhaus.engine.store.NativeIo.FALLOC_FL_ZERO_RANGE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What only a file can do: persist, reopen, and fail the way a kernel fails. */
class SparseFileStoreTest {
    private static final int PUNCH = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
    private static final int ZERO = FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE;

    @TempDir
    Path dir;

    private SparseFileStore create(NativeIo io, long size) {
        return SparseFileStore.create(io, dir.resolve("f"), size);
    }

    /** Fails the n-th call (1-based) of {@code pwrite}/{@code pwritev} with {@code errno}, once. */
    private static ForwardingNativeIo failingWrite(int errno) {
        AtomicInteger writes = new AtomicInteger();
        return new ForwardingNativeIo() {
            @Override
            public long pwrite(int fd, MemorySegment src, long offset) throws NativeIoException {
                check();
                return super.pwrite(fd, src, offset);
            }

            @Override
            public long pwritev(int fd, MemorySegment[] srcs, long offset) throws NativeIoException {
                check();
                return super.pwritev(fd, srcs, offset);
            }

            private void check() throws NativeIoException {
                if (writes.incrementAndGet() == 1) {
                    throw new NativeIoException("pwrite", errno);
                }
            }
        };
    }

    @Test
    void createMakesASparseFileAndReopenSeesDataAndSize() throws IOException {
        Path path = dir.resolve("vol");
        byte[] data = pattern(10_000, 1);
        try (SparseFileStore s = SparseFileStore.create(path, 1L << 30)) {
            write(s, (1L << 29) + 3, data);
            s.force();
            assertThat(s.path()).isEqualTo(path);
        }
        assertThat(Files.size(path)).isEqualTo(1L << 30);
        try (SparseFileStore s = SparseFileStore.open(path)) {
            assertThat(s.size()).isEqualTo(1L << 30);
            assertThat(read(s, (1L << 29) + 3, data.length)).isEqualTo(data);
            if (SparseFileStoreContractTest.fileSystemReportsHoles(dir)) {
                long allocated = s.extents(0, s.size(), 100).stream().filter(e -> !e.hole()).mapToLong(Extent::length).sum();
                assertThat(allocated).as("only the written blocks are allocated").isBetween(10_000L, 1L << 20);
            }
        }
    }

    @Test
    void createRefusesAnExistingFileAndOpenAMissingOne() throws IOException {
        Path path = Files.writeString(dir.resolve("exists"), "keep me");
        assertThatThrownBy(() -> SparseFileStore.create(path, 4096)).hasMessageContaining("EEXIST");
        assertThat(Files.readString(path)).isEqualTo("keep me");
        assertErrno(Errno.EIO, () -> SparseFileStore.open(dir.resolve("missing")));
        assertErrno(Errno.EINVAL, () -> SparseFileStore.create(dir.resolve("neg"), -1));
        assertThat(dir.resolve("neg")).doesNotExist();
    }

    @Test
    void readOnlyOpenReadsButRefusesEveryChangeWithErofsAndLeavesTheFileAsItWas() throws IOException {
        Path path = dir.resolve("image");
        byte[] data = pattern(3 * 4096, 7);
        try (SparseFileStore s = SparseFileStore.create(path, 64 * 1024)) {
            write(s, 4096, data);
            s.force();
        }
        byte[] before = Files.readAllBytes(path);
        AtomicInteger openFlags = new AtomicInteger(-1);
        ForwardingNativeIo recording = new ForwardingNativeIo() {
            @Override
            public int open(Path p, int flags, int mode) throws NativeIoException {
                openFlags.set(flags);
                return super.open(p, flags, mode);
            }
        };
        try (SparseFileStore s = SparseFileStore.open(recording, path, true)) {
            assertThat(openFlags.get() & 3).as("O_ACCMODE of the open").isEqualTo(NativeIo.O_RDONLY);
            assertThat(s.size()).isEqualTo(64 * 1024);
            assertThat(read(s, 4096, data.length)).isEqualTo(data);
            assertErrno(Errno.EROFS, () -> write(s, 0, pattern(4096, 1)));
            assertErrno(Errno.EROFS, () -> s.write(0, new ByteBuffer[] {ByteBuffer.allocateDirect(4096)}));
            assertErrno(Errno.EROFS, () -> s.punchHole(0, 4096));
            assertErrno(Errno.EROFS, () -> s.zeroRange(0, 4096));
            assertErrno(Errno.EROFS, () -> s.allocate(0, 4096));
            assertErrno(Errno.EROFS, () -> s.collapseRange(0, 4096));
            assertErrno(Errno.EROFS, () -> s.insertRange(0, 4096));
            assertErrno(Errno.EROFS, () -> s.truncate(4096));
            s.force(); // nothing was written: not an error
            assertThat(s.size()).isEqualTo(64 * 1024);
        }
        assertThat(Files.readAllBytes(path)).isEqualTo(before);
    }

    @Test
    void readOnlyOpenServesAFileTheProcessMayNotWrite() throws IOException {
        Path path = dir.resolve("sealed");
        byte[] data = pattern(8192, 3);
        try (SparseFileStore s = SparseFileStore.create(path, 8192)) {
            write(s, 0, data);
        }
        Files.setPosixFilePermissions(path, java.nio.file.attribute.PosixFilePermissions.fromString("r--r--r--"));
        // Root ignores permission bits, so only an unprivileged run can see the read-write open fail.
        if (!Files.isWritable(path)) {
            assertThatThrownBy(() -> SparseFileStore.open(path)).hasMessageContaining("EACCES");
        }
        try (SparseFileStore s = SparseFileStore.openReadOnly(path)) {
            assertThat(read(s, 0, data.length)).isEqualTo(data);
        }
    }

    @Test
    void blockAlignmentIsTheFileSystemBlockSize() throws IOException {
        try (SparseFileStore s = SparseFileStore.create(dir.resolve("f"), 4096)) {
            assertThat((long) s.blockAlignment()).isEqualTo(Files.getFileStore(dir).getBlockSize());
        }
    }

    @Test
    void anInsaneBlockSizeFallsBackTo4096() {
        ForwardingNativeIo io = new ForwardingNativeIo() {
            @Override
            public int blockSize(int fd) {
                return 3000;
            }
        };
        try (SparseFileStore s = create(io, 4096)) {
            assertThat(s.blockAlignment()).isEqualTo(4096);
        }
    }

    @Test
    void aFailedWriteSurfacesAsEioAndTheNextOneWorks() {
        try (SparseFileStore s = create(failingWrite(NativeIoException.EIO), 8192)) {
            assertErrno(Errno.EIO, () -> write(s, 10, pattern(100, 2)));
            write(s, 10, pattern(100, 3));
            assertThat(read(s, 10, 100)).isEqualTo(pattern(100, 3));
        }
    }

    @Test
    void noSpaceAndQuotaMapToEnospc() {
        try (SparseFileStore s = create(failingWrite(NativeIoException.ENOSPC), 8192)) {
            assertThatThrownBy(() -> write(s, 0, pattern(10, 4)))
                    .hasMessageContaining("ENOSPC").hasMessageContaining(dir.toString());
        }
        try (SparseFileStore s = SparseFileStore.create(failingWrite(NativeIoException.EDQUOT), dir.resolve("q"), 8192)) {
            assertErrno(Errno.ENOSPC, () -> s.write(0, new ByteBuffer[] {ByteBuffer.allocate(1), ByteBuffer.allocate(2)}));
        }
    }

    @Test
    void aFailedReadSurfacesAsEio() {
        ForwardingNativeIo io = new ForwardingNativeIo() {
            @Override
            public long pread(int fd, MemorySegment dst, long offset) throws NativeIoException {
                throw new NativeIoException("pread", NativeIoException.EIO);
            }
        };
        try (SparseFileStore s = create(io, 8192)) {
            assertErrno(Errno.EIO, () -> read(s, 0, 10));
        }
    }

    @Test
    void shortReadsAndWritesAreContinued() {
        ForwardingNativeIo io = new ForwardingNativeIo() {
            @Override
            public long pread(int fd, MemorySegment dst, long offset) throws NativeIoException {
                return super.pread(fd, dst.asSlice(0, Math.min(dst.byteSize(), 1000)), offset);
            }

            @Override
            public long pwrite(int fd, MemorySegment src, long offset) throws NativeIoException {
                return super.pwrite(fd, src.asSlice(0, Math.min(src.byteSize(), 999)), offset);
            }

            @Override
            public long pwritev(int fd, MemorySegment[] srcs, long offset) throws NativeIoException {
                return pwrite(fd, srcs[0], offset); // only ever the first piece, and short
            }
        };
        try (SparseFileStore s = create(io, 64 * 1024)) {
            byte[] data = pattern(20_000, 5);
            s.write(7, new ByteBuffer[] {ByteBuffer.wrap(data, 0, 5000), ByteBuffer.wrap(data, 5000, 15_000)});
            assertThat(read(s, 7, data.length)).isEqualTo(data);
            s.zeroRange(100, 10_000);
            Arrays.fill(data, 93, 10_093, (byte) 0);
            assertThat(read(s, 7, data.length)).isEqualTo(data);
            assertThat(io.calls("pread")).isGreaterThan(20);
        }
    }

    @Test
    void aWriteThatWritesNothingIsEioNotALoop() {
        ForwardingNativeIo io = new ForwardingNativeIo() {
            @Override
            public long pwrite(int fd, MemorySegment src, long offset) {
                return 0;
            }
        };
        try (SparseFileStore s = create(io, 8192)) {
            assertErrno(Errno.EIO, () -> write(s, 0, pattern(10, 6)));
        }
    }

    @Test
    void aRefusedFallocateModeIsTriedOnlyOnce() {
        ForwardingNativeIo io = refusing(FALLOC_FL_PUNCH_HOLE, FALLOC_FL_ZERO_RANGE, FALLOC_FL_COLLAPSE_RANGE,
                FALLOC_FL_INSERT_RANGE, 0);
        try (SparseFileStore s = create(io, 16 * 4096)) {
            byte[] model = fill(s, 7);
            for (int i = 0; i < 3; i++) {
                s.punchHole(100 + i, 50);
                s.zeroRange(300 + i, 50);
                s.allocate(0, 4096);
            }
            s.collapseRange(0, s.blockAlignment());
            s.collapseRange(0, s.blockAlignment());
            s.insertRange(0, s.blockAlignment());
            s.insertRange(0, s.blockAlignment());
            assertThat(io.calls(ForwardingNativeIo.fallocateName(PUNCH))).isEqualTo(1);
            assertThat(io.calls(ForwardingNativeIo.fallocateName(ZERO))).isEqualTo(1);
            assertThat(io.calls(ForwardingNativeIo.fallocateName(0))).isEqualTo(1);
            assertThat(io.calls(ForwardingNativeIo.fallocateName(FALLOC_FL_COLLAPSE_RANGE))).isEqualTo(1);
            assertThat(io.calls(ForwardingNativeIo.fallocateName(FALLOC_FL_INSERT_RANGE))).isEqualTo(1);
            Arrays.fill(model, 100, 152, (byte) 0);
            Arrays.fill(model, 300, 352, (byte) 0);
            assertThat(read(s, 2L * s.blockAlignment(), 14 * 4096)).isEqualTo(Arrays.copyOfRange(model, 2 * 4096, 16 * 4096));
        }
    }

    @Test
    void zeroRangeFallsBackToPunchThenAllocateWhenZeroRangeIsRefused() {
        ForwardingNativeIo io = refusing(FALLOC_FL_ZERO_RANGE);
        try (SparseFileStore s = create(io, 4 * 4096)) {
            byte[] model = fill(s, 8);
            s.zeroRange(10, 5000);
            Arrays.fill(model, 10, 5010, (byte) 0);
            assertContents(s, model);
            assertThat(io.calls(ForwardingNativeIo.fallocateName(PUNCH))).isEqualTo(1);
            assertThat(io.calls(ForwardingNativeIo.fallocateName(0))).isEqualTo(1);
        }
    }

    @Test
    void einvalFromCollapseFallsBackForThatCallOnly() {
        ForwardingNativeIo io = new ForwardingNativeIo() {
            @Override
            public void fallocate(int fd, int mode, long offset, long length) throws NativeIoException {
                if (mode == FALLOC_FL_COLLAPSE_RANGE) {
                    count(fallocateName(mode));
                    throw new NativeIoException("fallocate", NativeIoException.EINVAL); // e.g. bigalloc
                }
                super.fallocate(fd, mode, offset, length);
            }
        };
        try (SparseFileStore s = create(io, 8 * 4096)) {
            int a = s.blockAlignment();
            byte[] model = fill(s, 9);
            s.collapseRange(a, a);
            s.collapseRange(a, a);
            assertThat(io.calls(ForwardingNativeIo.fallocateName(FALLOC_FL_COLLAPSE_RANGE))).isEqualTo(2);
            byte[] expected = new byte[model.length - 2 * a];
            System.arraycopy(model, 0, expected, 0, a);
            System.arraycopy(model, 3 * a, expected, a, model.length - 3 * a);
            assertContents(s, expected);
        }
    }

    @Test
    void aRealFallocateErrorIsReportedNotFallenBackFrom() {
        ForwardingNativeIo io = new ForwardingNativeIo() {
            @Override
            public void fallocate(int fd, int mode, long offset, long length) throws NativeIoException {
                count(fallocateName(mode));
                throw new NativeIoException("fallocate", NativeIoException.ENOSPC);
            }
        };
        try (SparseFileStore s = create(io, 4 * 4096)) {
            byte[] model = fill(s, 10);
            int writesBefore = io.calls("pwrite") + io.calls("pwritev");
            assertErrno(Errno.ENOSPC, () -> s.zeroRange(0, 4096));
            assertErrno(Errno.ENOSPC, () -> s.allocate(0, 4096));
            assertErrno(Errno.ENOSPC, () -> s.insertRange(0, s.blockAlignment()));
            assertThat(io.calls("pwrite") + io.calls("pwritev")).as("no zeroes written").isEqualTo(writesBefore);
            assertContents(s, model);
        }
    }

    @Test
    void copyFallbackKeepsHolesAsHoles() {
        ForwardingNativeIo io = refusing(FALLOC_FL_COLLAPSE_RANGE, FALLOC_FL_INSERT_RANGE);
        try (SparseFileStore s = create(io, 32 * 4096)) {
            int a = s.blockAlignment();
            write(s, 0, pattern(a, 11));
            write(s, 10L * a, pattern(a, 12));
            s.insertRange(a, 4L * a);
            assertThat(read(s, 14L * a, a)).isEqualTo(pattern(a, 12));
            List<Extent> extents = checkedExtents(s, 0, s.size());
            if (SparseFileStoreContractTest.fileSystemReportsHoles(dir)) {
                assertThat(extents).containsExactly(new Extent(0, a, false), new Extent(a, 13L * a, true),
                        new Extent(14L * a, a, false), new Extent(15L * a, s.size() - 15L * a, true));
            }
            s.collapseRange(a, 4L * a);
            assertThat(read(s, 10L * a, a)).isEqualTo(pattern(a, 12));
            assertThat(s.size()).isEqualTo(32L * 4096);
        }
    }

    @Test
    void tmpfsRefusesCollapseAndTheStoreCopiesInstead() throws IOException {
        Path shm = Path.of("/dev/shm");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isWritable(shm)
                && "tmpfs".equals(Files.getFileStore(shm).type()));
        Path path = Files.createTempFile(shm, "blockhaus-", ".img");
        Files.delete(path);
        ForwardingNativeIo io = new ForwardingNativeIo();
        try (SparseFileStore s = SparseFileStore.create(io, path, 8 * 4096)) {
            int a = s.blockAlignment();
            byte[] model = fill(s, 13);
            s.collapseRange(0, a);
            s.collapseRange(0, a);
            assertThat(io.calls(ForwardingNativeIo.fallocateName(FALLOC_FL_COLLAPSE_RANGE))).isEqualTo(1);
            assertContents(s, Arrays.copyOfRange(model, 2 * a, model.length));
        } finally {
            Files.deleteIfExists(path);
        }
    }

    @Test
    void withoutSeekDataTheWholeRangeIsOneDataExtent() {
        ForwardingNativeIo io = new ForwardingNativeIo() {
            @Override
            public long lseek(int fd, long offset, int whence) throws NativeIoException {
                if (whence == SEEK_DATA || whence == SEEK_HOLE) {
                    throw new NativeIoException("lseek", NativeIoException.EINVAL);
                }
                return super.lseek(fd, offset, whence);
            }
        };
        try (SparseFileStore s = create(io, 8 * 4096)) {
            assertThat(s.extents(100, 1 << 20, 10)).containsExactly(new Extent(100, 8 * 4096 - 100, false));
        }
    }

    @Test
    void aFailedFsyncIsStickyBecauseTheKernelMayHaveDroppedTheData() {
        AtomicInteger syncs = new AtomicInteger();
        ForwardingNativeIo io = new ForwardingNativeIo() {
            @Override
            public void fsync(int fd) throws NativeIoException {
                if (syncs.incrementAndGet() == 2) {
                    throw new NativeIoException("fsync", NativeIoException.EIO);
                }
                super.fsync(fd);
            }
        };
        try (SparseFileStore s = create(io, 4096)) {
            s.force();
            assertErrno(Errno.EIO, s::force);
            assertThatThrownBy(s::force).hasMessageContaining("earlier fsync");
            assertThat(syncs.get()).isEqualTo(2);
        }
    }

    @Test
    void aFailedTruncateChangesNotTheSize() {
        ForwardingNativeIo io = new ForwardingNativeIo() {
            @Override
            public void ftruncate(int fd, long length) throws NativeIoException {
                if (length > 4096) {
                    throw new NativeIoException("ftruncate", NativeIoException.EFBIG);
                }
                super.ftruncate(fd, length);
            }
        };
        try (SparseFileStore s = create(io, 4096)) {
            assertErrno(Errno.EFBIG, () -> s.truncate(1L << 40));
            assertThat(s.size()).isEqualTo(4096);
        }
    }

    @Test
    void theFfmBindingCapturesTheKernelsErrno() throws NativeIoException {
        NativeIo io = FfmNativeIo.instance();
        assertThatThrownBy(() -> io.open(dir.resolve("missing"), NativeIo.O_RDWR, 0))
                .isInstanceOfSatisfying(NativeIoException.class, e -> assertThat(e.errno()).isEqualTo(NativeIoException.ENOENT));
        int fd = io.open(dir.resolve("raw"), NativeIo.O_RDWR | NativeIo.O_CREAT | NativeIo.O_CLOEXEC, 0600);
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            MemorySegment a = arena.allocateFrom("hello, ");
            MemorySegment b = arena.allocateFrom("world");
            long n = io.pwritev(fd, new MemorySegment[] {a.asSlice(0, 7), b.asSlice(0, 5)}, 3);
            assertThat(n).isEqualTo(12);
            MemorySegment back = arena.allocate(20);
            assertThat(io.pread(fd, back, 0)).isEqualTo(15);
            assertThat(back.asSlice(3, 12).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE))
                    .isEqualTo("hello, world".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            assertThatThrownBy(() -> io.lseek(fd, 100, NativeIo.SEEK_DATA))
                    .isInstanceOfSatisfying(NativeIoException.class, e -> assertThat(e.errno()).isEqualTo(NativeIoException.ENXIO));
            assertThatThrownBy(() -> io.fallocate(fd, NativeIo.FALLOC_FL_PUNCH_HOLE, 0, 4096)) // needs KEEP_SIZE
                    .isInstanceOfSatisfying(NativeIoException.class, e -> assertThat(e.errno()).isIn(
                            NativeIoException.EOPNOTSUPP, NativeIoException.EINVAL));
            assertThatThrownBy(() -> io.pread(fd, MemorySegment.ofArray(new byte[4]), 0))
                    .isInstanceOf(IllegalArgumentException.class);
            io.fdatasync(fd);
            assertThat(io.blockSize(fd)).isPositive();
        } finally {
            io.close(fd);
        }
        assertThatThrownBy(() -> io.fsync(fd))
                .isInstanceOfSatisfying(NativeIoException.class, e -> assertThat(e.errno()).isEqualTo(9)); // EBADF
    }

    /** The real calls, except that the listed fallocate modes (flags other than KEEP_SIZE) are refused. */
    private static ForwardingNativeIo refusing(int... modes) {
        return new ForwardingNativeIo() {
            @Override
            public void fallocate(int fd, int mode, long offset, long length) throws NativeIoException {
                for (int refused : modes) {
                    if ((mode & ~FALLOC_FL_KEEP_SIZE) == refused) {
                        count(fallocateName(mode));
                        throw new NativeIoException("fallocate", NativeIoException.EOPNOTSUPP);
                    }
                }
                super.fallocate(fd, mode, offset, length);
            }
        };
    }
}
