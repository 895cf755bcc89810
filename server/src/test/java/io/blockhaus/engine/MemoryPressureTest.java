package io.blockhaus.engine;

import static io.blockhaus.engine.TestSupport.PAGE;
import static io.blockhaus.engine.TestSupport.awaitCondition;
import static io.blockhaus.engine.TestSupport.filled;
import static io.blockhaus.engine.TestSupport.readDirect;
import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.engine.store.MemoryStore;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A reader that finds every page of the cache pinned waits for memory without holding the
 * volume's pagecache lock, so direct I/O of the volume goes on meanwhile, and it is woken as
 * soon as a page can be reclaimed (issue 11 item 3). The memory wait is a minute: a test that
 * relied on the deadline, or on a timer, would time out instead.
 */
class MemoryPressureTest {
    private static final int CACHE_PAGES = 16;
    private static final long SIZE = 256 * PAGE;

    private Engine engine;
    private Volume vol;
    private Handle h;
    private final ExecutorService pool = Executors.newSingleThreadExecutor();

    @BeforeEach
    void setUp() {
        engine = new Engine(new EngineConfig(CACHE_PAGES * PAGE, 0.10, 0.40, Duration.ofSeconds(5),
                Duration.ofMillis(500), Duration.ofMinutes(1), false).withMappedShare(1.0)); // one handle pins it all
        vol = engine.open(VolumeConfig.of("pressure"), new MemoryStore(SIZE));
        h = vol.open();
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        pool.shutdownNow();
        pool.awaitTermination(10, TimeUnit.SECONDS);
        engine.close();
    }

    @Test
    void aReaderWaitingForPinnedMemoryHoldsNoLockAndWakesWhenAPageIsUnmapped() throws Exception {
        Mapping m = h.map(0, CACHE_PAGES * PAGE, false, InvalidationListener.NONE);
        for (int i = 0; i < CACHE_PAGES; i++) {
            m.read((long) i * PAGE, ByteBuffer.allocate(1)); // fault every page in: the cache is all mapped
        }
        assertThat(vol.cachedPages()).isEqualTo(CACHE_PAGES);

        CompletableFuture<byte[]> reader = CompletableFuture.supplyAsync(
                () -> TestSupport.read(h, 200L * PAGE, PAGE), pool);
        awaitCondition(() -> engine.cacheSystem().memoryWaiters() == 1, Duration.ofSeconds(10),
                "the reader to wait for memory");

        // Two-state lock: BLOCK excludes ADD volume-wide, so this direct write would wait for the
        // reader if it held ADD while waiting for memory.
        h.writeDirect(100L * PAGE, ByteBuffer.wrap(filled(PAGE, 9)), false);
        assertThat(readDirect(h, 100L * PAGE, PAGE)).isEqualTo(filled(PAGE, 9));
        assertThat(reader).as("still waiting: nothing is reclaimable yet").isNotDone();

        m.close(); // the pages turn evictable: the reader is woken, not left to its deadline
        assertThat(reader.get(20, TimeUnit.SECONDS)).isEqualTo(new byte[PAGE]);
        assertThat(engine.cacheSystem().memoryWaiters()).isZero();
    }
}
