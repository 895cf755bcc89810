package io.blockhaus.engine.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link NativeIo#allCached}, both ways the kernel is asked: cachestat(2) and, for kernels before
 * 6.5, mincore(2) over an untouched mapping. Bytes just written are in the page cache; a hole
 * never read is not; a range is resident only if every page of it is, edges included.
 */
class ResidencyTest {
    private static final int PAGE = 4096;
    private final FfmNativeIo io = FfmNativeIo.instance();
    private int fd = -1;

    @TempDir
    Path dir;

    @AfterEach
    void close() throws NativeIoException {
        if (fd >= 0) {
            io.close(fd);
        }
    }

    @Test
    void writtenPagesAreResidentAndAHoleIsNotAskedEitherWay() throws NativeIoException {
        fd = io.open(dir.resolve("f"), NativeIo.O_RDWR | NativeIo.O_CREAT, 0600);
        io.ftruncate(fd, 64 * PAGE);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate(16 * PAGE);
            data.fill((byte) 7);
            assertThat(io.pwrite(fd, data, 8 * PAGE)).isEqualTo(16 * PAGE);
        }
        for (boolean mincore : new boolean[] {false, true}) {
            String how = mincore ? "mincore" : "cachestat";
            assertThat(ask(mincore, 8 * PAGE, 16 * PAGE)).as(how + ": just written").isTrue();
            assertThat(ask(mincore, 8 * PAGE + 100, 3 * PAGE)).as(how + ": unaligned, inside").isTrue();
            assertThat(ask(mincore, 40 * PAGE, 8 * PAGE)).as(how + ": a hole never read").isFalse();
            assertThat(ask(mincore, 8 * PAGE, 17 * PAGE)).as(how + ": one page past the written ones").isFalse();
            assertThat(ask(mincore, 7 * PAGE + PAGE - 1, 2)).as(how + ": an edge byte in a hole page").isFalse();
        }
    }

    private boolean ask(boolean mincore, long offset, long length) throws NativeIoException {
        return mincore ? io.allCachedByMincore(fd, offset, length) : io.allCached(fd, offset, length);
    }
}
