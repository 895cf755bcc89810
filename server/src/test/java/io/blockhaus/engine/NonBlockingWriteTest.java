package io.blockhaus.engine;

import static io.blockhaus.engine.TestSupport.PAGE;
import static io.blockhaus.engine.TestSupport.filled;
import static io.blockhaus.engine.TestSupport.read;
import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.engine.cache.Page;
import java.nio.ByteBuffer;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link NonBlockingWrite}: all or nothing. Done when every page is cached and free; otherwise
 * refused with no byte written, no page dirtied and the source buffer untouched, whether a page
 * is absent, busy, or the write is longer than it may hold page locks for. The volume is never
 * written before the attempt, so "no byte written" means it still reads zeroes; the handle reads
 * RANDOM (no readahead), so exactly the pages a test reads are cached.
 */
class NonBlockingWriteTest {
    private Engine engine;
    private Volume vol;
    private Handle h;

    @BeforeEach
    void open() {
        engine = new Engine(EngineConfig.withCache(1 << 20).withBackgroundThreads(false));
        vol = engine.open(VolumeConfig.of("inline"), TestStores.memory(64 * PAGE));
        h = vol.open();
        h.fadvise(Advice.RANDOM, 0, 0);
    }

    @AfterEach
    void close() {
        engine.close();
    }

    @Test
    void aWriteOverCachedFreePagesIsDoneAndDirtiesThem() {
        read(h, 0, 3 * PAGE);
        ByteBuffer src = ByteBuffer.wrap(filled(2 * PAGE, 4));
        assertThat(NonBlockingWrite.writeIfCached(h, PAGE / 2, src)).isTrue();
        assertThat(src.hasRemaining()).isFalse();
        assertThat(vol.dirtyPages()).isEqualTo(3);
        assertThat(read(h, PAGE / 2, 2 * PAGE)).isEqualTo(filled(2 * PAGE, 4));
    }

    @Test
    void oneAbsentPageRefusesTheWholeWrite() {
        read(h, 0, PAGE);
        read(h, 2L * PAGE, PAGE); // page 1 absent
        assertRefusedUntouched(3 * PAGE);
    }

    @Test
    void aPageBusyOnAnotherThreadRefusesTheWholeWrite() throws InterruptedException {
        read(h, 0, 3 * PAGE);
        try (OtherThreads others = new OtherThreads()) {
            CountDownLatch release = others.hold(() -> {
                Page p = vol.cache().lookupLocked(2);
                return p::unlock;
            });
            ByteBuffer src = ByteBuffer.wrap(filled(3 * PAGE, 8));
            assertThat(NonBlockingWrite.writeIfCached(h, 0, src)).isFalse();
            assertThat(src.position()).as("source untouched").isZero();
            assertThat(vol.dirtyPages()).as("no page dirtied").isZero();
            release.countDown();
        }
        assertThat(read(h, 0, 3 * PAGE)).as("no byte written").isEqualTo(new byte[3 * PAGE]);
    }

    @Test
    void aWriteOverMorePagesThanItMayLockIsRefused() {
        int pages = NonBlockingWrite.MAX_PAGES + 1;
        read(h, 0, pages * PAGE);
        assertRefusedUntouched(pages * PAGE);
        assertThat(NonBlockingWrite.writeIfCached(h, 0, ByteBuffer.wrap(filled(NonBlockingWrite.MAX_PAGES * PAGE, 2))))
                .as("exactly the limit is fine").isTrue();
    }

    /** A write of {@code len} bytes at 0 is refused and leaves everything as it was. */
    private void assertRefusedUntouched(int len) {
        long cached = vol.cachedPages();
        ByteBuffer src = ByteBuffer.wrap(filled(len, 8));
        assertThat(NonBlockingWrite.writeIfCached(h, 0, src)).isFalse();
        assertThat(vol.cachedPages()).as("the refusal added no page").isEqualTo(cached);
        assertThat(src.position()).as("source untouched").isZero();
        assertThat(vol.dirtyPages()).as("no page dirtied").isZero();
        assertThat(read(h, 0, len)).as("no byte written").isEqualTo(new byte[len]);
    }
}
