package io.blockhaus.engine;

import static io.blockhaus.engine.TestSupport.PAGE;
import static io.blockhaus.engine.TestSupport.filled;
import static io.blockhaus.engine.TestSupport.read;
import static io.blockhaus.engine.TestSupport.write;
import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.engine.cache.Page;
import io.blockhaus.engine.cache.PageCache;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link PageCopy}: at most one page per copy, exactly the bytes asked for, the buffer advanced
 * by them; a copy into a page leaves it dirty and its read-ahead flag taken; a run's copy-out
 * takes only the pages the read covers.
 */
class PageCopyTest {
    private Engine engine;
    private Volume vol;
    private Handle h;
    private PageCache c;

    @BeforeEach
    void open() {
        engine = new Engine(EngineConfig.withCache(1 << 20).withBackgroundThreads(false));
        vol = engine.open(VolumeConfig.of("copy"), TestStores.memory(64 * PAGE));
        h = vol.open();
        c = vol.cache();
    }

    @AfterEach
    void close() {
        engine.close();
    }

    /** Pattern bytes: byte i of the volume is {@code i * 7 + 3}, so any misplaced byte shows. */
    private static byte[] pattern(long offset, int len) {
        byte[] b = new byte[len];
        for (int i = 0; i < len; i++) {
            b[i] = (byte) ((offset + i) * 7 + 3);
        }
        return b;
    }

    @Test
    void copyOutStopsAtThePageEndAndAtTheReadEnd() {
        write(h, 0, pattern(0, 4 * PAGE), false);
        Page p = c.lookupLocked(1);
        try {
            ByteBuffer dst = ByteBuffer.allocate(2 * PAGE);
            dst.position(5);
            long pos = PAGE + 100;
            assertThat(PageCopy.copyOut(c, p, pos, pos + 2 * PAGE, dst)).as("to the page end").isEqualTo(PAGE - 100);
            assertThat(dst.position()).isEqualTo(5 + PAGE - 100);
            assertThat(Arrays.copyOfRange(dst.array(), 5, 5 + PAGE - 100)).isEqualTo(pattern(pos, PAGE - 100));

            dst.clear();
            assertThat(PageCopy.copyOut(c, p, pos, pos + 10, dst)).as("to the read end").isEqualTo(10);
            assertThat(Arrays.copyOfRange(dst.array(), 0, 10)).isEqualTo(pattern(pos, 10));
        } finally {
            p.unlock();
        }
    }

    @Test
    void copyInLandsTheBytesDirtiesThePageAndTakesItsReadAheadFlag() {
        read(h, 0, PAGE); // cached, clean
        Page p = c.lookupLocked(0);
        try {
            assertThat(p.isDirty()).isFalse();
            p.setReadAhead();
            ByteBuffer src = ByteBuffer.wrap(filled(300, 9));
            src.position(100);
            PageCopy.copyIn(c, p, 50, 150, src);
            assertThat(src.position()).isEqualTo(250);
            assertThat(p.isDirty()).isTrue();
            assertThat(p.takeReadAhead()).as("written before read: neither used nor wasted").isFalse();
        } finally {
            p.unlock();
        }
        byte[] expected = new byte[PAGE];
        Arrays.fill(expected, 50, 200, (byte) 9);
        assertThat(read(h, 0, PAGE)).isEqualTo(expected);
        assertThat(vol.dirtyPages()).isEqualTo(1);
    }

    @Test
    void aRunCopiesOnlyThePagesTheReadCovers() {
        write(h, 0, pattern(0, 8 * PAGE), false);
        List<Page> run = List.of(c.lookupLocked(2), c.lookupLocked(3), c.lookupLocked(4), c.lookupLocked(5));
        try {
            ByteBuffer dst = ByteBuffer.allocate(2 * PAGE);
            long pos = 2L * PAGE + 1000;
            long end = pos + dst.remaining();
            assertThat(PageCopy.copyOutRun(c, run, true, pos, end, dst)).isEqualTo(end);
            assertThat(dst.hasRemaining()).isFalse();
            assertThat(dst.array()).isEqualTo(pattern(pos, 2 * PAGE));
        } finally {
            PageCache.unlockAll(run);
        }
    }
}
