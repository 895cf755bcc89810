package io.blockhaus.engine;

import static io.blockhaus.engine.TestSupport.PAGE;
import static io.blockhaus.engine.TestSupport.expectErrno;
import static io.blockhaus.engine.TestSupport.filled;
import static io.blockhaus.engine.TestSupport.read;
import static io.blockhaus.engine.TestSupport.write;
import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.engine.TestSupport.CountingLockListener;
import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.lock.LockMode;
import io.blockhaus.engine.lock.LockPolicy;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 11 item 2, for mappings: pages pinned by one handle's mappings are bounded by a quota
 * (ENOMEM past it, nothing pinned), and a direct I/O through a mapping bounces at most
 * {@link DirectIo#MAX_BOUNCE_BYTES} at a time.
 */
class MappingQuotaTest {
    static final long CACHE = 1 << 20; // 256 pages
    static final long SIZE = 16L << 20;

    Engine engine;
    Volume vol;
    CountingLockListener locks = new CountingLockListener();

    @AfterEach
    void closeEngine() {
        if (engine != null) {
            engine.close();
        }
    }

    Handle open(EngineConfig ec) {
        engine = new Engine(ec);
        // range: a direct I/O from a mapping of the same volume elsewhere is allowed (two-state refuses it)
        vol = engine.open(VolumeConfig.of("quota").withFaultAroundPages(1).withLockPolicy(LockPolicy.RANGE),
                TestStores.memory(SIZE), locks);
        return vol.open();
    }

    @Test
    void aHandlePinsAtMostItsShareOfTheCacheAndAFaultPastItPinsNothing() {
        EngineConfig ec = EngineConfig.withCache(CACHE).withBackgroundThreads(false).withMappedShare(0.125);
        Handle h = open(ec);
        long quota = ec.mappedPagesPerHandle(PAGE);
        assertThat(quota).isEqualTo(32);
        Mapping m = h.map(0, 64L * PAGE, true, InvalidationListener.NONE);

        read(m, 0, (int) (quota - 1) * PAGE);
        assertThat(h.pinnedPages()).isEqualTo(quota - 1);
        read(m, 0, (int) (quota - 1) * PAGE); // pages it maps already cost nothing more
        assertThat(h.pinnedPages()).isEqualTo(quota - 1);

        // Two more pages would pass the quota: refused whole, nothing of it mapped.
        expectErrno(Errno.ENOMEM, () -> read(m, (quota - 1) * PAGE, 2 * PAGE));
        assertThat(m.mappedPages()).isEqualTo(quota - 1);
        assertThat(h.pinnedPages()).isEqualTo(quota - 1);
        read(m, (quota - 1) * PAGE, PAGE); // one more fits exactly
        assertThat(h.pinnedPages()).isEqualTo(quota);

        // Another handle has its own quota; a direct write shooting pages down gives them back.
        Handle other = vol.open();
        Mapping om = other.map(0, 4L * PAGE, false, InvalidationListener.NONE);
        read(om, 0, 4 * PAGE);
        assertThat(other.pinnedPages()).isEqualTo(4);
        h.writeDirect(0, ByteBuffer.wrap(filled(2 * PAGE, 9)), false);
        assertThat(h.pinnedPages()).isEqualTo(quota - 2);
        assertThat(other.pinnedPages()).isEqualTo(2);
        assertThat(read(m, 0, PAGE)).isEqualTo(filled(PAGE, 9));
        assertThat(h.pinnedPages()).isEqualTo(quota - 1);

        m.close();
        assertThat(h.pinnedPages()).as("munmap gives every page back").isZero();
        other.close();
        assertThat(other.pinnedPages()).isZero();
    }

    @Test
    void theDefaultQuotaIsAQuarterOfTheCache() {
        EngineConfig ec = EngineConfig.withCache(CACHE);
        assertThat(ec.mappedShare()).isEqualTo(EngineConfig.DEFAULT_MAPPED_SHARE).isEqualTo(0.25);
        assertThat(ec.mappedPagesPerHandle(PAGE)).isEqualTo(64);
    }

    @Test
    void directIoThroughAMappingBouncesInBoundedChunks() {
        Handle h = open(EngineConfig.withCache(16L << 20).withBackgroundThreads(false));
        int len = 3 * DirectIo.MAX_BOUNCE_BYTES + 3 * PAGE + 100;
        long seed = TestSupport.seed("blockhaus.quota.seed");
        System.out.println("[MappingQuotaTest.directIoThroughAMappingBouncesInBoundedChunks] seed=" + seed
                + " (replay: -Dblockhaus.quota.seed=" + seed + ")");
        byte[] data = TestSupport.random(new SplittableRandom(seed), len);
        Handle mapper = vol.open();
        Mapping src = mapper.map(8L << 20, 4L << 20, true, InvalidationListener.NONE);
        write(src, 0, data);

        long before = locks.acquired(LockMode.BLOCK);
        h.writeDirect(100, new MappedBuffer(src, 0, len), true);
        assertThat(locks.acquired(LockMode.BLOCK) - before).as("one BLOCK per chunk of at most 1 MiB").isEqualTo(4);
        assertThat(TestSupport.readDirect(h, 100, len)).isEqualTo(data);

        Mapping dst = vol.open().map(12L << 20, 4L << 20, true, InvalidationListener.NONE); // src pins 3 MiB of its handle's 4
        before = locks.acquired(LockMode.BLOCK);
        h.readDirect(100, new MappedBuffer(dst, 5, len));
        assertThat(locks.acquired(LockMode.BLOCK) - before).isEqualTo(4);
        assertThat(read(dst, 5, len)).isEqualTo(data);
    }
}
