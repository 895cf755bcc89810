package io.blockhaus.engine;

import static io.blockhaus.engine.TestSupport.PAGE;
import static io.blockhaus.engine.TestSupport.expectErrno;
import static io.blockhaus.engine.TestSupport.filled;
import static io.blockhaus.engine.TestSupport.readStore;
import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.store.MemoryStore;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Write-and-invalidate writes runs, not pages (issue 11 item 6): a direct write, punch or zero
 * over dirty cached pages writes each contiguous run of them back with one gather write, counted
 * here by a store that records every write it is asked for.
 */
class WriteAndInvalidateRunsTest {
    private static final long SIZE = 1024 * PAGE;

    private CountingStore store;
    private Engine engine;
    private Volume vol;
    private Handle h;

    @BeforeEach
    void setUp() {
        store = new CountingStore(new MemoryStore(SIZE));
        engine = new Engine(EngineConfig.withCache(8L << 20).withBackgroundThreads(false));
        vol = engine.open(VolumeConfig.of("runs"), store);
        h = vol.open();
    }

    @AfterEach
    void tearDown() {
        engine.close();
    }

    /** Dirties pages {@code [first, end)} with a byte that names the page. */
    private void dirty(long first, long end) {
        for (long i = first; i < end; i++) {
            h.write(i * PAGE, ByteBuffer.wrap(filled(PAGE, (int) (i % 251) + 1)), false);
        }
    }

    @Test
    void aDirectWriteOverThreeDirtyRunsWritesThemBackInThreeGatherWrites() {
        dirty(0, 8);
        dirty(10, 11);
        dirty(20, 40);
        h.read(8 * PAGE, ByteBuffer.allocate(2 * PAGE)); // pages 8 and 9: cached, clean
        store.writes.clear();

        h.writeDirect(0, ByteBuffer.wrap(filled(64 * PAGE, 0xEE)), false);

        assertThat(store.writes).containsExactly(
                new Write(0, 8 * PAGE, 8),           // run [0, 8), a buffer per page
                new Write(10 * PAGE, PAGE, 1),       // run [10, 11)
                new Write(20 * PAGE, 20 * PAGE, 20), // run [20, 40)
                new Write(0, 64 * PAGE, 1));         // the direct write itself
        assertThat(vol.cachedPages()).isZero();
        assertThat(readStore(store, 0, 64 * PAGE)).isEqualTo(filled(64 * PAGE, 0xEE));
    }

    @Test
    void aPunchWritesTheDirtyRunsBackBeforeDroppingThemAndARunStopsAt256Pages() {
        dirty(100, 400);
        store.writes.clear();

        h.fallocate(FallocateMode.PUNCH_HOLE, 0, 512L * PAGE);

        assertThat(store.writes).containsExactly(
                new Write(100 * PAGE, 256 * PAGE, 256),
                new Write(356 * PAGE, 44 * PAGE, 44));
        assertThat(vol.cachedPages()).isZero();
        assertThat(readStore(store, 0, 512 * PAGE)).isEqualTo(new byte[512 * PAGE]);
    }

    @Test
    void aFailedRunWriteLeavesThatRunCachedAndDirtyAndTheRunsBeforeItGone() {
        dirty(0, 4);
        dirty(8, 12);
        store.writes.clear();
        store.failWriteNumber = 2; // the second run's write

        expectErrno(Errno.EIO, () -> h.writeDirect(0, ByteBuffer.wrap(filled(16 * PAGE, 0xEE)), false));

        assertThat(readStore(store, 0, 4 * PAGE)).as("first run written back").isEqualTo(dirtyBytes(0, 4));
        assertThat(vol.cachedPages()).as("only the failed run stays").isEqualTo(4);
        assertThat(vol.dirtyPages()).isEqualTo(4);
        assertThat(TestSupport.read(h, 8 * PAGE, 4 * PAGE)).isEqualTo(dirtyBytes(8, 12));
    }

    private static byte[] dirtyBytes(long first, long end) {
        byte[] out = new byte[(int) ((end - first) * PAGE)];
        for (long i = first; i < end; i++) {
            java.util.Arrays.fill(out, (int) ((i - first) * PAGE), (int) ((i - first + 1) * PAGE), (byte) (i % 251 + 1));
        }
        return out;
    }

    /** One write the store was asked for: where, how many bytes, in how many buffers. */
    record Write(long offset, long length, int buffers) {
    }

    /** Records every write (single or gathered) and can fail the n-th one with EIO. */
    static final class CountingStore extends BackingStoreFailureTest.FailingStore {
        final List<Write> writes = java.util.Collections.synchronizedList(new ArrayList<>());
        volatile int failWriteNumber;

        CountingStore(MemoryStore d) {
            super(d);
        }

        private void count(long offset, ByteBuffer[] srcs) {
            writes.add(new Write(offset, BufferedIo.remaining(srcs), srcs.length));
            if (writes.size() == failWriteNumber) {
                failWrites.set(1); // the FailingStore fails this one with its errno, EIO
            }
        }

        @Override
        public void write(long offset, ByteBuffer src) {
            count(offset, new ByteBuffer[] {src});
            super.write(offset, src);
        }

        @Override
        public void write(long offset, ByteBuffer[] srcs) {
            count(offset, srcs);
            super.write(offset, srcs);
        }
    }
}
