package io.blockhaus.engine;

import static io.blockhaus.engine.TestSupport.PAGE;
import static io.blockhaus.engine.TestSupport.expectErrno;
import static io.blockhaus.engine.TestSupport.filled;
import static io.blockhaus.engine.TestSupport.read;
import static io.blockhaus.engine.TestSupport.readStore;
import static io.blockhaus.engine.TestSupport.write;
import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.lock.LockMode;
import io.blockhaus.engine.store.BackingStore;
import io.blockhaus.engine.store.Pipe;
import io.blockhaus.engine.store.TestPipes;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link FastPaths#writeFromPipe}: a large write whose bytes wait in a kernel pipe goes into the
 * file without passing through the JVM, and the cache stays coherent; whenever it cannot, it
 * declines with nothing written and the pipe untouched, so the caller can copy instead.
 */
class WriteFromPipeTest {
    private static final int SIZE = 1 << 20;
    private static final int BYPASS = 8 * PAGE;
    private static final long SEED = TestSupport.seed("pipe.seed");

    static {
        System.out.println("WriteFromPipeTest seed " + SEED + " (repeat with -Dpipe.seed=" + SEED + ")");
    }

    @TempDir
    Path dir;

    private final SplittableRandom rnd = new SplittableRandom(SEED);
    private Engine engine;
    private BackingStore store;
    private Volume vol;

    @AfterEach
    void close() {
        if (engine != null) {
            engine.close();
        }
    }

    private Handle open(VolumeConfig config) {
        engine = new Engine(EngineConfig.withCache(1 << 20).withBackgroundThreads(false));
        store = TestStores.file(dir.resolve("v.img"), SIZE);
        vol = engine.open(config, store);
        return vol.open();
    }

    private Handle open() {
        return open(VolumeConfig.of("pipe").withBypassBytes(BYPASS));
    }

    private byte[] random(int n) {
        return TestSupport.random(rnd, n);
    }

    @Test
    void aStreamingWriteGoesFromThePipeToTheStoreAroundTheCache() {
        Handle h = open();
        byte[] data = random(16 * PAGE);
        try (Pipe p = TestPipes.holding(dir, data)) {
            assertThat(vol.writesFromPipes()).isTrue();
            assertThat(h.fastPaths().writeFromPipe(32 * PAGE, new PayloadPipe(p), data.length, false, false)).isTrue();
            assertThat(p.buffered()).isZero();
        }
        assertThat(vol.cachedPages()).as("nothing was cached on the way").isZero();
        assertThat(readStore(store, 32 * PAGE, data.length)).isEqualTo(data);
        assertThat(read(h, 32 * PAGE, data.length)).isEqualTo(data);
    }

    /**
     * A payload that only partly went through the pipe (the rest arrived later and was read into
     * buffers): the pipe's part is spliced, the rest written right after it, both around the
     * cache; a dirty cached page of the range goes (it is stale), and nothing is left in the pipe.
     * A direct write, or a range the bypass does not take, says false with the pipe untouched.
     */
    @Test
    void aPipesPartThenBuffersAreWrittenAsOneStreamingWrite() {
        Handle h = open();
        write(h, 5 * PAGE + 9, filled(100, 7), false); // dirty, inside the range: stale after the write
        byte[] data = random(16 * PAGE);
        int piped = 5 * PAGE + 1234; // what had arrived: not a page multiple
        ByteBuffer[] rest = {ByteBuffer.wrap(data, piped, 3 * PAGE), ByteBuffer.wrap(data, piped + 3 * PAGE,
                data.length - piped - 3 * PAGE)};
        try (Pipe p = TestPipes.holding(dir, Arrays.copyOf(data, piped))) {
            assertThat(h.fastPaths().writeFromPipe(0, new PayloadPipe(p), rest, true, false)).as("direct: not here").isFalse();
            assertThat(p.buffered()).isEqualTo(piped);
            ByteBuffer[] short1 = {ByteBuffer.wrap(data, piped, PAGE - 1234)}; // six pages in all: under the bypass size
            assertThat(h.fastPaths().writeFromPipe(0, new PayloadPipe(p), short1, false, false)).isFalse();
            assertThat(p.buffered()).isEqualTo(piped);
            assertThat(h.fastPaths().writeFromPipe(0, new PayloadPipe(p), rest, false, false)).isTrue();
            assertThat(p.buffered()).isZero();
        }
        assertThat(vol.cachedPages()).as("the stale page was dropped, nothing cached on the way").isZero();
        assertThat(vol.dirtyPages()).isZero();
        assertThat(readStore(store, 0, data.length)).isEqualTo(data);
        assertThat(read(h, 0, data.length)).isEqualTo(data);
    }

    @Test
    void cachedPagesOfTheRangeAreDroppedOrIfMappedBroughtUpToTheNewBytes() {
        Handle h = open();
        write(h, 3 * PAGE + 7, filled(100, 1), false);         // dirty, not in the store yet
        write(h, 4 * PAGE, filled(PAGE, 2), false);            // its dirty neighbour
        write(h, 9 * PAGE, filled(PAGE, 3), false);            // mapped below, and clean
        write(h, 10 * PAGE, filled(PAGE, 4), false);           // mapped and dirty: a run of two with 9
        h.flush(9 * PAGE, PAGE);
        write(h, 40 * PAGE, filled(PAGE, 5), false);           // outside the write
        Mapping m = h.map(8L * PAGE, 4L * PAGE, true, InvalidationListener.NONE);
        assertThat(read(m, PAGE, 2 * PAGE)).isEqualTo(concat(filled(PAGE, 3), filled(PAGE, 4)));
        long mapped = m.mappedPages(); // 9 and 10, and whatever fault-around brought in beside them
        assertThat(mapped).isBetween(2L, 4L);
        byte[] data = random(16 * PAGE);
        try (Pipe p = TestPipes.holding(dir, data)) {
            assertThat(h.fastPaths().writeFromPipe(0, new PayloadPipe(p), data.length, false, false)).isTrue();
        }
        assertThat(vol.cachedPages()).as("unmapped pages of the range are gone; mapped ones and the one outside stay")
                .isEqualTo(mapped + 1);
        assertThat(vol.dirtyPages()).as("only the page outside the write is still dirty").isEqualTo(1);
        assertThat(read(m, PAGE, 2 * PAGE)).as("the mapping sees the new bytes, in place")
                .isEqualTo(Arrays.copyOfRange(data, 9 * PAGE, 11 * PAGE));
        assertThat(read(h, 0, data.length)).isEqualTo(data);
        h.flush();
        assertThat(readStore(store, 0, data.length)).as("no stale page written back over it").isEqualTo(data);
        assertThat(readStore(store, 40 * PAGE, PAGE)).isEqualTo(filled(PAGE, 5));
        m.close();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void declinesWithThePipeUntouchedWhereTheBypassWouldNotTakeTheWrite() {
        Handle h = open();
        byte[] data = random(BYPASS);
        try (Pipe p = TestPipes.holding(dir, data)) {
            assertThat(h.fastPaths().writeFromPipe(PAGE + 512, new PayloadPipe(p), data.length, false, false)).as("not page-aligned").isFalse();
            assertThat(h.fastPaths().writeFromPipe(0, new PayloadPipe(p), data.length - PAGE, false, false)).as("under the bypass threshold").isFalse();
            var hold = vol.lock().acquire(LockMode.ADD, 0, vol.pageCount(), Long.MAX_VALUE);
            try {
                assertThat(h.fastPaths().writeFromPipe(0, new PayloadPipe(p), data.length, false, false)).as("BLOCK busy: never waits for it").isFalse();
            } finally {
                hold.close();
            }
            assertThat(p.buffered()).isEqualTo(data.length);
            expectErrno(Errno.ENOSPC, () -> h.fastPaths().writeFromPipe(SIZE - PAGE, new PayloadPipe(p), data.length, false, false));
            assertThat(p.buffered()).as("a refused range takes nothing either").isEqualTo(data.length);
            assertThat(h.fastPaths().writeFromPipe(0, new PayloadPipe(p), data.length, false, false)).isTrue();
        }
        assertThat(readStore(store, 0, data.length)).isEqualTo(data);
    }

    @Test
    void declinesWhenTheBypassIsOff() {
        Handle h = open(VolumeConfig.of("no-bypass").withBypassBytes(0));
        byte[] data = random(16 * PAGE);
        try (Pipe p = TestPipes.holding(dir, data)) {
            assertThat(h.fastPaths().writeFromPipe(0, new PayloadPipe(p), data.length, false, false)).isFalse();
            assertThat(p.buffered()).isEqualTo(data.length);
        }
    }

    @Test
    void aDirectWriteFromAPipeInvalidatesTheRangeAfterWritingBackDirtyPages() {
        Handle h = open(VolumeConfig.of("direct").withIo(IoMode.DIRECT));
        write(h, 40 * PAGE, filled(PAGE, 5), false);  // dirty, outside the write: must survive
        write(h, 2 * PAGE, filled(PAGE, 6), false);   // dirty, inside it: superseded
        byte[] data = random(4 * PAGE);
        try (Pipe p = TestPipes.holding(dir, data)) {
            assertThat(h.fastPaths().writeFromPipe(PAGE, new PayloadPipe(p), data.length, true, false)).isTrue();
        }
        assertThat(vol.cachedPages()).as("only the page outside the range is left").isEqualTo(1);
        assertThat(readStore(store, PAGE, data.length)).isEqualTo(data);
        assertThat(read(h, PAGE, data.length)).isEqualTo(data);
        assertThat(read(h, 40 * PAGE, PAGE)).isEqualTo(filled(PAGE, 5));
    }

    @Test
    void aReadOnlyVolumeRefusesWithEROFS() {
        engine = new Engine(EngineConfig.withCache(1 << 20).withBackgroundThreads(false));
        store = TestStores.file(dir.resolve("v.img"), SIZE);
        vol = engine.open(VolumeConfig.of("ro").withReadOnly(true).withBypassBytes(BYPASS), store);
        Handle h = vol.open();
        assertThat(vol.writesFromPipes()).isFalse();
        byte[] data = random(BYPASS);
        try (Pipe p = TestPipes.holding(dir, data)) {
            expectErrno(Errno.EROFS, () -> h.fastPaths().writeFromPipe(0, new PayloadPipe(p), data.length, false, false));
            assertThat(p.buffered()).isEqualTo(data.length);
        }
    }
}
