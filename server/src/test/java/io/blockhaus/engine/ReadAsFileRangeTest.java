package io.blockhaus.engine;

import static io.blockhaus.engine.TestSupport.PAGE;
import static io.blockhaus.engine.TestSupport.filled;
import static io.blockhaus.engine.TestSupport.write;
import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.engine.lock.LockMode;
import io.blockhaus.engine.store.BackingStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link FastPaths#readAsFileRange}: a streaming read over nothing dirty, whose bytes are in the
 * kernel's page cache, is handed out as a range of the volume's own file (for sendfile, which may
 * then run where nothing may wait for a disk); anything else gets null and is read as usual.
 * Tests that expect a range first make the whole file resident ({@link #resident}): a fresh
 * sparse file is one hole, which the kernel holds no page of.
 */
class ReadAsFileRangeTest {
    private static final int SIZE = 1 << 20;
    private static final int BYPASS = 8 * PAGE;
    private static final long SEED = TestSupport.seed("range.seed");

    static {
        System.out.println("ReadAsFileRangeTest seed " + SEED + " (repeat with -Drange.seed=" + SEED + ")");
    }

    @TempDir
    Path dir;

    private Engine engine;
    private BackingStore store;
    private Volume vol;

    @AfterEach
    void close() {
        if (engine != null) {
            engine.close();
        }
    }

    private Handle open(BackingStore s) {
        engine = new Engine(EngineConfig.withCache(1 << 20).withBackgroundThreads(false));
        store = s;
        vol = engine.open(VolumeConfig.of("range").withBypassBytes(BYPASS), store);
        return vol.open();
    }

    /** Writes the fresh volume's zeroes through to the file, so every page of it is in the kernel's page cache. */
    private Handle resident(Handle h) {
        h.writeDirect(0, ByteBuffer.allocateDirect(SIZE), false);
        return h;
    }

    private static byte[] readFrom(FileRange r) throws IOException {
        ByteBuffer b = ByteBuffer.allocate((int) r.length());
        while (b.hasRemaining() && r.channel().read(b, r.offset() + b.position()) > 0) {
            // a positional read never moves the channel, which every READ shares
        }
        return b.array();
    }

    @Test
    void aStreamOverNothingCachedIsARangeOfTheVolumesOwnFile() throws IOException {
        Path img = dir.resolve("v.img");
        Handle h = resident(open(TestStores.file(img, SIZE)));
        byte[] data = TestSupport.random(new SplittableRandom(SEED), 16 * PAGE);
        h.writeDirect(32 * PAGE, ByteBuffer.wrap(data), false);
        Files.move(img, dir.resolve("renamed.img")); // what the path names no longer matters
        Files.write(img, new byte[SIZE]);
        FileRange r = h.fastPaths().readAsFileRange(32 * PAGE, data.length);
        assertThat(r).isNotNull();
        assertThat(r.offset()).isEqualTo(32 * PAGE);
        assertThat(r.length()).isEqualTo(data.length);
        assertThat(readFrom(r)).as("the volume's bytes, through its own descriptor").isEqualTo(data);
        assertThat(h.fastPaths().readAsFileRange(0, data.length).channel()).as("one channel for every read").isSameAs(r.channel());
        engine.close();
        engine = null;
        assertThat(r.channel().isOpen()).as("closed with the store").isFalse();
    }

    @Test
    void aDirtyPageInTheRangeOrAShortReadIsReadAsUsual() {
        Handle h = resident(open(TestStores.file(dir.resolve("v.img"), SIZE)));
        assertThat(h.fastPaths().readAsFileRange(0, BYPASS - PAGE)).as("under the bypass size").isNull();
        write(h, 3 * PAGE, filled(PAGE, 7), false); // a cached page, dirty: the file is behind it
        assertThat(h.fastPaths().readAsFileRange(0, BYPASS)).as("a dirty page in the range").isNull();
        assertThat(h.fastPaths().readAsFileRange(8 * PAGE, BYPASS)).as("next to it, nothing dirty").isNotNull();
    }

    @Test
    void cleanCachedPagesAreInTheFileAlready() throws IOException {
        Handle h = resident(open(TestStores.file(dir.resolve("v.img"), SIZE)));
        byte[] page = filled(PAGE, 7);
        write(h, 3 * PAGE, page, false);
        h.flush();
        assertThat(vol.cache().anyCachedIn(3, 4)).as("still cached, clean").isTrue();
        FileRange r = h.fastPaths().readAsFileRange(0, BYPASS);
        assertThat(r).as("a clean cached page in the range").isNotNull();
        byte[] expected = new byte[BYPASS];
        System.arraycopy(page, 0, expected, 3 * PAGE, PAGE);
        assertThat(readFrom(r)).as("the written page, from the file").isEqualTo(expected);
    }

    @Test
    void pagesBeingAddedDoNotStopIt() {
        Handle h = resident(open(TestStores.file(dir.resolve("v.img"), SIZE)));
        // Adding pages reads the file into the cache: the file is unchanged, so nothing to wait for.
        var add = vol.lock().acquire(LockMode.ADD, 0, vol.pageCount(), Long.MAX_VALUE);
        try {
            assertThat(h.fastPaths().readAsFileRange(8 * PAGE, BYPASS)).isNotNull();
        } finally {
            add.close();
        }
    }

    @Test
    void bytesTheKernelDoesNotHoldAreReadAsUsual() {
        Handle h = open(TestStores.file(dir.resolve("v.img"), SIZE)); // one hole: no page of it in memory
        assertThat(h.fastPaths().readAsFileRange(0, BYPASS)).as("buffered").isNull();
        assertThat(h.fastPaths().readDirectAsFileRange(0, BYPASS)).as("direct").isNull();
        h.writeDirect(0, ByteBuffer.allocateDirect(BYPASS - PAGE), false);
        assertThat(h.fastPaths().readAsFileRange(0, BYPASS)).as("all but the last page in memory").isNull();
        h.writeDirect(BYPASS - PAGE, ByteBuffer.allocateDirect(PAGE), false);
        assertThat(h.fastPaths().readAsFileRange(0, BYPASS)).as("every page in memory").isNotNull();
        assertThat(h.fastPaths().readDirectAsFileRange(0, BYPASS)).isNotNull();
    }

    @Test
    void aStoreWithoutAFileHasNoRanges() {
        Handle h = open(TestStores.memory(SIZE));
        assertThat(h.fastPaths().readAsFileRange(0, BYPASS)).isNull();
        assertThat(h.fastPaths().readDirectAsFileRange(0, BYPASS)).isNull();
    }

    /**
     * {@link FastPaths#readDirectAsFileRange}: any size, dirty pages or not: the range's dirty pages
     * are written back first (they stay cached, clean), as a direct read does, under BLOCK.
     */
    @Test
    void aDirectReadWritesBackItsRangeThenIsARangeOfTheFile() throws IOException {
        Handle h = resident(open(TestStores.file(dir.resolve("v.img"), SIZE)));
        byte[] page = filled(PAGE, 9);
        write(h, 5 * PAGE, page, false);
        write(h, 40 * PAGE, page, false); // dirty too, outside the range: left alone
        assertThat(vol.dirtyPages()).isEqualTo(2);
        FileRange r = h.fastPaths().readDirectAsFileRange(4 * PAGE, 2 * PAGE);
        assertThat(r).as("under the bypass size too").isNotNull();
        byte[] expected = new byte[2 * PAGE];
        System.arraycopy(page, 0, expected, PAGE, PAGE);
        assertThat(readFrom(r)).as("the completed buffered write, in the file now").isEqualTo(expected);
        assertThat(vol.dirtyPages()).as("only the range was written back").isEqualTo(1);
        assertThat(vol.cache().anyCachedIn(5, 6)).as("and it stays cached").isTrue();
        var block = vol.lock().acquire(LockMode.BLOCK, 0, vol.pageCount(), Long.MAX_VALUE);
        try {
            assertThat(vol.lock().holders(LockMode.BLOCK)).as("the read held BLOCK only while it ran").isEqualTo(1);
        } finally {
            block.close();
        }
        assertThat(h.fastPaths().readDirectAsFileRange(0, 0)).as("nothing to send").isNull();
    }
}
