package io.blockhaus.engine.store;

import static io.blockhaus.engine.store.BackingStoreContractTest.assertErrno;
import static io.blockhaus.engine.store.BackingStoreContractTest.pattern;
import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.engine.errno.Errno;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link InMemoryProbes}: the answers a thread that must not block gets. "No" for everything a
 * fast path is not worth or cannot do, without a system call where none is needed; a refusal
 * to tell residency remembered; real failures reported, never turned into "no".
 */
class InMemoryProbesTest {
    private static final int PAGE = 4096;
    private static final int SIZE = 16 * PAGE;

    @TempDir
    Path dir;

    /** Counts allCached too (the forwarding base leaves it to NativeIo's ENOSYS default). */
    private static class CountingIo extends ForwardingNativeIo {
        @Override
        public boolean allCached(int fd, long offset, long length) throws NativeIoException {
            count("allCached");
            return FfmNativeIo.instance().allCached(fd, offset, length);
        }
    }

    private OpenFile fileWithDataAt(NativeIo io, long offset, byte[] data) {
        OpenFile f = SparseFileOpener.create(io, dir.resolve("f"), SIZE);
        new PositionalIo(f).write(offset, new ByteBuffer[] {ByteBuffer.wrap(data)});
        return f;
    }

    @Test
    void bytesJustWrittenAreReadFromMemoryIntoANativeSegment() {
        byte[] data = pattern(2 * PAGE, 7);
        OpenFile f = fileWithDataAt(new CountingIo(), 2 * PAGE, data);
        InMemoryProbes probes = new InMemoryProbes(f);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment page = arena.allocate(PAGE);
            assertThat(probes.readIfInMemory(3 * PAGE, page)).as("an ext4/xfs/tmpfs file answers from memory").isTrue();
            assertThat(page.toArray(ValueLayout.JAVA_BYTE)).isEqualTo(java.util.Arrays.copyOfRange(data, PAGE, 2 * PAGE));
            assertThat(probes.isInMemory(2 * PAGE, 2 * PAGE)).isTrue();
        } finally {
            f.close(() -> { });
        }
    }

    @Test
    void whatAFastPathIsNotWorthIsANoWithoutASystemCall() {
        CountingIo io = new CountingIo();
        OpenFile f = fileWithDataAt(io, 0, pattern(SIZE, 3));
        InMemoryProbes probes = new InMemoryProbes(f);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment page = arena.allocate(PAGE);
            assertThat(probes.readIfInMemory(0, MemorySegment.ofArray(new byte[PAGE]))).as("heap segment").isFalse();
            assertThat(probes.readIfInMemory(0, page.asReadOnly())).as("read-only segment").isFalse();
            assertThat(probes.readIfInMemory(SIZE - PAGE / 2, page)).as("past the end").isFalse();
            assertThat(probes.readIfInMemory(-PAGE, page)).as("negative offset").isFalse();
            assertThat(probes.readIfInMemory(0, new ByteBuffer[] {ByteBuffer.allocate(PAGE)})).as("heap buffer").isFalse();
            assertThat(probes.readIfInMemory(0, new ByteBuffer[] {ByteBuffer.allocateDirect(PAGE).asReadOnlyBuffer()}))
                    .as("read-only buffer").isFalse();
            assertThat(probes.readIfInMemory(SIZE - PAGE, new ByteBuffer[] {ByteBuffer.allocateDirect(2 * PAGE)}))
                    .as("scatter past the end").isFalse();
            assertThat(probes.isInMemory(SIZE - PAGE, 2 * PAGE)).as("residency past the end").isFalse();
            assertThat(probes.isInMemory(0, -1)).as("negative length").isFalse();
            assertThat(io.calls("preadvNoWait")).isZero();
            assertThat(io.calls("allCached")).isZero();
        } finally {
            f.close(() -> { });
        }
    }

    @Test
    void aSystemThatCannotTellResidencyIsAskedOnce() {
        CountingIo io = new CountingIo() {
            @Override
            public boolean allCached(int fd, long offset, long length) throws NativeIoException {
                count("allCached");
                throw new NativeIoException("cachestat", NativeIoException.ENOSYS);
            }
        };
        OpenFile f = fileWithDataAt(io, 0, pattern(PAGE, 5));
        InMemoryProbes probes = new InMemoryProbes(f);
        try {
            assertThat(probes.isInMemory(0, PAGE)).isFalse();
            assertThat(probes.isInMemory(0, PAGE)).isFalse();
            assertThat(io.calls("allCached")).isEqualTo(1);
        } finally {
            f.close(() -> { });
        }
    }

    @Test
    void aRealFailureIsReportedNotAnsweredNo() {
        CountingIo io = new CountingIo() {
            @Override
            public boolean allCached(int fd, long offset, long length) throws NativeIoException {
                throw new NativeIoException("cachestat", NativeIoException.EIO);
            }

            @Override
            public long preadvNoWait(int fd, MemorySegment[] dsts, long offset) throws NativeIoException {
                throw new NativeIoException("preadv2", NativeIoException.EIO);
            }
        };
        OpenFile f = fileWithDataAt(io, 0, pattern(PAGE, 9));
        InMemoryProbes probes = new InMemoryProbes(f);
        try (Arena arena = Arena.ofConfined()) {
            assertErrno(Errno.EIO, () -> probes.isInMemory(0, PAGE));
            assertErrno(Errno.EIO, () -> probes.readIfInMemory(0, arena.allocate(PAGE)));
            assertErrno(Errno.EIO, () -> probes.readIfInMemory(0, new ByteBuffer[] {ByteBuffer.allocateDirect(PAGE)}));
            // Each failure left the descriptor's lifecycle as it found it: close does not wait for itself.
        } finally {
            f.close(() -> { });
        }
        assertThat(io.calls("close")).isEqualTo(1);
    }

    @Test
    void afterCloseEveryProbeSaysNoAndCallsNothing() {
        CountingIo io = new CountingIo();
        OpenFile f = fileWithDataAt(io, 0, pattern(PAGE, 11));
        InMemoryProbes probes = new InMemoryProbes(f);
        f.close(() -> { });
        try (Arena arena = Arena.ofConfined()) {
            assertThat(probes.readIfInMemory(0, arena.allocate(PAGE))).isFalse();
            assertThat(probes.readIfInMemory(0, new ByteBuffer[] {ByteBuffer.allocateDirect(PAGE)})).isFalse();
            assertThat(probes.isInMemory(0, PAGE)).isFalse();
        }
        assertThat(io.calls("preadvNoWait")).isZero();
        assertThat(io.calls("allCached")).isZero();
    }
}
