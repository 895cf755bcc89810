package io.blockhaus.engine.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pipes and the sparse-file store's write from a pipe (splice), against the real kernel. */
class PipeTest {
    private static final long SEED = Long.getLong("pipe.seed", System.nanoTime());
    private static final int SIZE = 1 << 20;

    static {
        System.out.println("PipeTest seed " + SEED + " (repeat with -Dpipe.seed=" + SEED + ")");
    }

    @TempDir
    Path dir;

    private final SplittableRandom rnd = new SplittableRandom(SEED);

    private byte[] random(int n) {
        byte[] b = new byte[n];
        rnd.nextBytes(b);
        return b;
    }

    private static byte[] read(BackingStore s, long offset, int n) {
        ByteBuffer b = ByteBuffer.allocate(n);
        s.read(offset, b);
        return b.array();
    }

    @Test
    void aPipeGetsTheLargeCapacityItAsksFor() throws Exception {
        try (Pipe p = Pipe.open(FfmNativeIo.instance(), 1 << 20)) {
            assertThat(p.capacity()).as("root or not, 1 MiB is the default pipe-max-size").isEqualTo(1 << 20);
            assertThat(p.buffered()).isZero();
        }
    }

    @Test
    void drainGivesBackWhatWasSplicedInInOrder() throws Exception {
        byte[] data = random(300_000);
        try (Pipe p = TestPipes.holding(dir, data)) {
            ByteBuffer first = ByteBuffer.allocateDirect(100_000);
            ByteBuffer rest = ByteBuffer.allocateDirect(200_000);
            p.drainTo(first);
            p.drainTo(rest);
            assertThat(p.buffered()).isZero();
            byte[] got = new byte[300_000];
            first.flip().get(got, 0, 100_000);
            rest.flip().get(got, 100_000, 200_000);
            assertThat(got).isEqualTo(data);
            assertThatThrownBy(() -> p.drainTo(ByteBuffer.allocateDirect(1)))
                    .as("never reads more than the pipe holds (that read would block)")
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void fillFromAnEmptySourceSaysEndOfInput() throws Exception {
        NativeIo io = FfmNativeIo.instance();
        Path empty = Files.createFile(dir.resolve("empty"));
        int fd = io.open(empty, NativeIo.O_RDONLY | NativeIo.O_CLOEXEC, 0);
        try (Pipe p = Pipe.open(io, 1 << 20)) {
            assertThat(p.fillFrom(fd, 4096)).isEqualTo(-1);
            assertThat(p.buffered()).isZero();
        } finally {
            io.close(fd);
        }
    }

    @Test
    void sparseFileStoreWritesWhatThePipeHoldsAtTheOffset() {
        byte[] data = random(256 * 1024);
        try (SparseFileStore s = SparseFileStore.create(dir.resolve("v.img"), SIZE);
                Pipe p = TestPipes.holding(dir, data)) {
            assertThat(s.writesFromPipes()).isTrue();
            assertThat(s.writeFrom(64 * 1024, p, data.length)).isTrue();
            assertThat(p.buffered()).as("the pipe is empty again, ready for reuse").isZero();
            assertThat(read(s, 64 * 1024, data.length)).isEqualTo(data);
            assertThat(read(s, 0, 64 * 1024)).as("nothing else written").isEqualTo(new byte[64 * 1024]);
        }
    }

    @Test
    void refusedWritesLeaveThePipeUntouched() {
        byte[] data = random(8192);
        Path path = dir.resolve("v.img");
        SparseFileStore.create(path, SIZE).close();
        try (SparseFileStore ro = SparseFileStore.openReadOnly(path);
                SparseFileStore rw = SparseFileStore.open(path);
                Pipe p = TestPipes.holding(dir, data)) {
            assertThat(ro.writesFromPipes()).isFalse();
            assertThatThrownBy(() -> ro.writeFrom(0, p, data.length)).isInstanceOfSatisfying(ErrnoException.class,
                    e -> assertThat(e.errno()).isEqualTo(Errno.EROFS));
            assertThatThrownBy(() -> rw.writeFrom(SIZE - 4096, p, data.length)).as("past the end")
                    .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
            assertThat(p.buffered()).isEqualTo(data.length);
            assertThat(rw.writeFrom(4096, p, data.length)).as("the same pipe still writes").isTrue();
            assertThat(read(rw, 4096, data.length)).isEqualTo(data);
        }
    }

    @Test
    void aFileSystemThatRefusesSpliceIsRememberedAndThePipeKept() {
        ForwardingNativeIo noSplice = new ForwardingNativeIo() {
            @Override
            public long splice(int in, long inOffset, int out, long outOffset, long length, int flags)
                    throws NativeIoException {
                if (outOffset >= 0) { // into the file: the kernel has no splice_write here
                    count("splice-to-file");
                    throw new NativeIoException("splice", NativeIoException.EINVAL);
                }
                return super.splice(in, inOffset, out, outOffset, length, flags);
            }
        };
        byte[] data = random(16384);
        try (SparseFileStore s = SparseFileStore.create(noSplice, dir.resolve("v.img"), SIZE);
                Pipe p = TestPipes.holding(dir, data)) {
            assertThat(s.writeFrom(0, p, data.length)).isFalse();
            assertThat(p.buffered()).as("nothing was taken: the caller copies it out instead").isEqualTo(data.length);
            assertThat(s.writesFromPipes()).as("and the store stops offering").isFalse();
            assertThat(noSplice.calls("splice-to-file")).isEqualTo(1);
            assertThat(s.writeFrom(0, p, data.length)).isFalse();
            assertThat(noSplice.calls("splice-to-file")).as("not tried again").isEqualTo(1);
        }
    }

    @Test
    void aFailureAfterBytesMovedIsReportedNotRetried() {
        ForwardingNativeIo failsLate = new ForwardingNativeIo() {
            private boolean first = true;

            @Override
            public long splice(int in, long inOffset, int out, long outOffset, long length, int flags)
                    throws NativeIoException {
                if (outOffset >= 0) {
                    if (!first) {
                        throw new NativeIoException("splice", NativeIoException.ENOSPC);
                    }
                    first = false;
                    return super.splice(in, inOffset, out, outOffset, Math.min(length, 4096), flags);
                }
                return super.splice(in, inOffset, out, outOffset, length, flags);
            }
        };
        byte[] data = random(16384);
        try (SparseFileStore s = SparseFileStore.create(failsLate, dir.resolve("v.img"), SIZE);
                Pipe p = TestPipes.holding(dir, data)) {
            assertThatThrownBy(() -> s.writeFrom(0, p, data.length)).isInstanceOfSatisfying(ErrnoException.class,
                    e -> assertThat(e.errno()).isEqualTo(Errno.ENOSPC));
            assertThat(p.buffered()).as("what moved is counted out").isEqualTo(data.length - 4096);
            assertThat(s.writesFromPipes()).as("a real error is no reason to stop splicing").isTrue();
            assertThat(read(s, 0, 4096)).isEqualTo(Arrays.copyOf(data, 4096));
        }
    }
}
