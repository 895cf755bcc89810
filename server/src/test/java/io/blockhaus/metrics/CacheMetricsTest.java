package io.blockhaus.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.engine.Advice;
import io.blockhaus.engine.Engine;
import io.blockhaus.engine.EngineConfig;
import io.blockhaus.engine.FallocateMode;
import io.blockhaus.engine.Handle;
import io.blockhaus.engine.Mapping;
import io.blockhaus.engine.Volume;
import io.blockhaus.engine.VolumeConfig;
import io.blockhaus.engine.lock.LockListener;
import io.blockhaus.engine.store.MemoryStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The cache, readahead and writeback meters of a real volume against scripted sequences of
 * operations: exact counts where the script fixes them, conservation laws where the engine
 * chooses (how many pages one reclaim call evicts).
 */
class CacheMetricsTest {
    private static final int PAGE = 4096;
    private static final long SIZE = 1 << 20;

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final EngineMetrics metrics = new EngineMetrics(registry);
    private Engine engine;

    @AfterEach
    void tearDown() {
        if (engine != null) {
            engine.close();
        }
    }

    private Volume open(long cacheBytes) {
        engine = new Engine(EngineConfig.withCache(cacheBytes).withBackgroundThreads(false));
        metrics.bindEngine(engine);
        return metrics.open(engine, VolumeConfig.of("v1"), new MemoryStore(SIZE), LockListener.NONE);
    }

    private static void read(Handle h, long page, int pages) {
        ByteBuffer b = ByteBuffer.allocate(pages * PAGE);
        h.read(page * PAGE, b);
        assertThat(b.hasRemaining()).isFalse();
    }

    private static void write(Handle h, long page, int pages) {
        h.write(page * PAGE, ByteBuffer.allocate(pages * PAGE), false);
    }

    @Test
    void hitsMissesAndEvictionsFollowAScriptedSequence() {
        Volume v = open(64 * 1024); // 16 pages
        try (Handle h = v.open()) {
            h.fadvise(Advice.RANDOM, 0, SIZE); // no readahead: every page a read fills is its own
            read(h, 0, 1);       // miss 0
            read(h, 0, 1);       // hit 0
            read(h, 0, 4);       // hit 0, miss 1-3 (one run)
            read(h, 2, 4);       // hit 2-3, miss 4-5
            assertThat(count("blockhaus.cache.hits")).isEqualTo(4);
            assertThat(count("blockhaus.cache.misses")).isEqualTo(6);
            assertThat(h.readWithoutWaiting(PAGE, ByteBuffer.allocate(2 * PAGE))).isTrue(); // the event loop's path
            assertThat(count("blockhaus.cache.hits")).isEqualTo(6);
            assertThat(count("blockhaus.cache.evictions")).isZero();

            for (long p = 100; p < 140; p++) {
                read(h, p, 1); // 40 more misses through a 16-page cache
            }
            assertThat(count("blockhaus.cache.misses")).isEqualTo(46);
            assertThat(count("blockhaus.cache.hits")).isEqualTo(6);
            // Nothing but reclaim removed pages: what was filled and is gone was evicted.
            assertThat(count("blockhaus.cache.evictions")).isEqualTo(46 - v.cachedPages()).isPositive();
            assertThat(pages("clean")).isEqualTo(v.cachedPages());
            assertThat(pages("dirty")).isZero();
            assertThat(count("blockhaus.readahead.pages")).isZero();
        }
        assertThat(registry.get("blockhaus.cache.used").gauge().value()).isEqualTo(engine.usedBytes());
        assertThat(registry.get("blockhaus.cache.limit").gauge().value()).isEqualTo(64 * 1024);
        assertThat(registry.get("blockhaus.cache.dirty.limit").tag("level", "background").gauge().value())
                .isEqualTo(engine.dirtyBackgroundBytes()).isPositive();
        assertThat(registry.get("blockhaus.cache.dirty.limit").tag("level", "hard").gauge().value())
                .isEqualTo(engine.dirtyHardBytes()).isGreaterThan(engine.dirtyBackgroundBytes());
    }

    @Test
    void readaheadPagesAreEachUsedOrWastedOnceTheyAreGone() {
        Volume v = open(SIZE);
        try (Handle h = v.open()) {
            for (long p = 0; p < 64; p++) {
                read(h, p, 1); // a sequential reader: ondemand readahead, async run inline without threads
            }
            double hits = count("blockhaus.cache.hits");
            double misses = count("blockhaus.cache.misses");
            double ahead = count("blockhaus.readahead.pages");
            double used = count("blockhaus.readahead.used");
            assertThat(hits + misses).isEqualTo(64);
            assertThat(misses).as("only the first read misses; readahead keeps ahead").isEqualTo(1);
            assertThat(count("blockhaus.readahead.windows")).isPositive();
            assertThat(ahead).isGreaterThanOrEqualTo(63);
            assertThat(used).as("every hit was of a page read ahead, each read once").isEqualTo(hits);
            assertThat(count("blockhaus.readahead.wasted")).isZero();
            assertThat(v.cachedPages()).isEqualTo((long) (misses + ahead));

            long cached = v.cachedPages();
            h.fallocate(FallocateMode.PUNCH_HOLE, 0, SIZE);
            assertThat(invalidated("punch")).isEqualTo(cached);
            assertThat(count("blockhaus.readahead.wasted")).as("read ahead, never read, shot down").isEqualTo(ahead - used);
        }
    }

    @Test
    void shootdownsAreCountedByReasonWithTheDirtyPagesWrittenFirst() {
        Volume v = open(SIZE);
        try (Handle h = v.open()) {
            h.fadvise(Advice.RANDOM, 0, SIZE);
            write(h, 0, 4); // dirty 0-3
            assertThat(pages("dirty")).isEqualTo(4);
            h.writeDirect(0, ByteBuffer.allocate(2 * PAGE), false); // write-and-invalidate 0-1: both dirty
            assertThat(invalidated("write-and-invalidate")).isEqualTo(2);
            assertThat(count("blockhaus.cache.invalidate.written")).isEqualTo(2);

            read(h, 8, 2);
            h.fadvise(Advice.DONTNEED, 8 * PAGE, 2 * PAGE);
            assertThat(invalidated("dontneed")).isEqualTo(2);

            read(h, 16, 3);
            h.fallocate(FallocateMode.PUNCH_HOLE, 16 * PAGE, 3 * PAGE);
            assertThat(invalidated("punch")).isEqualTo(3);

            h.truncate(3 * PAGE); // page 3 (dirty) goes, its data discarded; page 2 stays
            assertThat(invalidated("truncate")).isEqualTo(1);
            assertThat(count("blockhaus.cache.invalidate.written")).as("truncate writes nothing back").isEqualTo(2);

            double before = count("blockhaus.writeback.bytes");
            h.flush(); // page 2, one run
            assertThat(count("blockhaus.writeback.bytes") - before).isEqualTo(PAGE);
            assertThat(registry.get("blockhaus.writeback.run").timer().count()).isEqualTo(2); // write-and-invalidate's run, this one
            assertThat(pages("dirty")).isZero();
            assertThat(pages("writeback")).isZero();
            assertThat(registry.find("blockhaus.writeback.errors").meters()).as("no error, no series").isEmpty();
        }
    }

    @Test
    void recallsAndRevocationsAndMappedPages() {
        Volume v = open(SIZE);
        try (Handle owner = v.open(); Handle writer = v.open()) {
            // One page each, so fault-around maps exactly that page.
            Mapping keeps = owner.map(0, PAGE, false, (m, first, end) -> () -> { });
            Mapping loses = owner.map(8 * PAGE, PAGE, false, (m, first, end) -> m::close); // "revoked" by its owner
            keeps.read(0, ByteBuffer.allocate(PAGE));
            loses.read(0, ByteBuffer.allocate(PAGE));
            assertThat(pages("mapped")).isEqualTo(2);

            writer.writeDirect(0, ByteBuffer.allocate(PAGE), false);
            assertThat(count("blockhaus.cache.recalls")).isEqualTo(1);
            assertThat(count("blockhaus.cache.revocations")).isZero();
            writer.writeDirect(8 * PAGE, ByteBuffer.allocate(PAGE), false);
            assertThat(count("blockhaus.cache.recalls")).isEqualTo(2);
            assertThat(count("blockhaus.cache.revocations")).isEqualTo(1);
            assertThat(pages("mapped")).isZero();
        }
    }

    @Test
    void aClosedVolumesMetersGoAndItsNameCanBeBoundAgain() {
        Volume v = open(SIZE);
        try (Handle h = v.open()) {
            read(h, 0, 1);
        }
        assertThat(registry.find("blockhaus.cache.misses").tag("volume", "v1").functionCounter()).isNotNull();
        v.close();
        assertThat(registry.find("blockhaus.cache.misses").tag("volume", "v1").meters()).isEmpty();
        assertThat(registry.find("blockhaus.lock.wait").tag("volume", "v1").meters()).isEmpty();
        assertThat(registry.find("blockhaus.cache.pages").tag("volume", "v1").meters()).isEmpty();
        assertThat(registry.find("blockhaus.cache.used").gauge()).as("server-wide meters stay").isNotNull();

        Volume again = metrics.open(engine, VolumeConfig.of("v1"), new MemoryStore(SIZE), LockListener.NONE);
        assertThat(count("blockhaus.cache.misses")).as("a new volume starts from zero").isZero();
        try (Handle h = again.open()) {
            read(h, 0, 1);
        }
        assertThat(count("blockhaus.cache.misses")).isEqualTo(1);
        assertThat(registry.get("blockhaus.lock.wait").tags("volume", "v1", "mode", "add").timer().count()).isEqualTo(1);
        assertThat(registry.get("blockhaus.lock.hold").tags("volume", "v1", "mode", "add").timer()
                .totalTime(TimeUnit.NANOSECONDS)).isPositive();
    }

    private double count(String name) {
        return registry.get(name).tag("volume", "v1").functionCounter().count();
    }

    private double invalidated(String reason) {
        return registry.get("blockhaus.cache.invalidated").tags("volume", "v1", "reason", reason).functionCounter().count();
    }

    private double pages(String state) {
        return registry.get("blockhaus.cache.pages").tags("volume", "v1", "state", state).gauge().value();
    }
}
