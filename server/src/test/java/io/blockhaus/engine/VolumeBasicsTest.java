package io.blockhaus.engine;

import static io.blockhaus.engine.TestSupport.PAGE;
import static io.blockhaus.engine.TestSupport.expectErrno;
import static io.blockhaus.engine.TestSupport.filled;
import static io.blockhaus.engine.TestSupport.read;
import static io.blockhaus.engine.TestSupport.readDirect;
import static io.blockhaus.engine.TestSupport.readStore;
import static io.blockhaus.engine.TestSupport.write;
import static io.blockhaus.engine.TestSupport.writeDirect;
import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.engine.TestSupport.CountingLockListener;
import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.lock.LockMode;
import io.blockhaus.engine.lock.LockPolicy;
import io.blockhaus.engine.store.BackingStore;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Small, readable tests of each operation's semantics and errors. One volume of 1 MiB unless said. */
class VolumeBasicsTest {
    static final int SIZE = 1 << 20;

    Engine engine;
    BackingStore store;
    Volume vol;

    @AfterEach
    void closeEngine() {
        if (engine != null) {
            engine.close();
        }
    }

    /** An engine without background threads (deterministic), a 1 MiB cache and a fresh volume. */
    Handle open(VolumeConfig config, CountingLockListener locks) {
        return open(EngineConfig.withCache(1 << 20).withBackgroundThreads(false), config, locks);
    }

    Handle open(EngineConfig ec, VolumeConfig config, CountingLockListener locks) {
        engine = new Engine(ec);
        store = TestStores.memory(SIZE);
        vol = locks == null ? engine.open(config, store) : engine.open(config, store, locks);
        return vol.open();
    }

    Handle open() {
        return open(VolumeConfig.of("basics"), null);
    }

    @Test
    void volumeDescribesItself() {
        open(VolumeConfig.of("basics-1").withPageSize(8192), null);
        assertThat(vol.name()).isEqualTo("basics-1");
        assertThat(vol.size()).isEqualTo(SIZE);
        assertThat(vol.pageSize()).isEqualTo(8192);
        assertThat(vol.readOnly()).isFalse();
        assertThat(vol.config().lockPolicy()).isEqualTo(LockPolicy.TWO_STATE);
        assertThat(vol.lock().policy()).isEqualTo(LockPolicy.TWO_STATE);
        assertThat(engine.config().cacheBytes()).isEqualTo(1 << 20);
    }

    @Test
    void bufferedWriteThenReadRoundTripsAndAdvancesBuffers() {
        Handle h = open();
        ByteBuffer src = ByteBuffer.allocate(10_000);
        src.position(100).limit(9_100);
        for (int i = 100; i < 9_100; i++) {
            src.put(i, (byte) i);
        }
        h.write(5_000, src, false);
        assertThat(src.position()).as("write consumes position..limit").isEqualTo(9_100);
        ByteBuffer dst = ByteBuffer.allocateDirect(9_500);
        dst.position(250).limit(9_250);
        h.read(5_000, dst);
        assertThat(dst.position()).as("read fills position..limit").isEqualTo(9_250);
        for (int i = 0; i < 9_000; i++) {
            assertThat(dst.get(250 + i)).isEqualTo((byte) (100 + i));
        }
        assertThat(read(h, 0, 5_000)).as("untouched bytes read as zero").isEqualTo(new byte[5_000]);
    }

    @Test
    void directAndBufferedIoAreCoherent() {
        Handle h = open();
        Handle other = vol.open();
        write(h, 3 * PAGE + 17, filled(PAGE, 1), false); // dirty in the cache
        assertThat(readDirect(other, 3 * PAGE + 17, PAGE)).as("direct read sees a dirty cached page").isEqualTo(filled(PAGE, 1));
        assertThat(read(other, 3 * PAGE + 17, PAGE)).isEqualTo(filled(PAGE, 1)); // cached now
        writeDirect(other, 3 * PAGE + 100, filled(1000, 2), false);
        byte[] expected = filled(PAGE, 1);
        Arrays.fill(expected, 100 - 17, 100 - 17 + 1000, (byte) 2);
        assertThat(read(h, 3 * PAGE + 17, PAGE)).as("buffered read after a direct write sees it").isEqualTo(expected);
        assertThat(readStore(store, 3 * PAGE + 100, 1000)).as("direct write went to the store").isEqualTo(filled(1000, 2));
    }

    @Test
    void directReadWritesBackDirtyPagesWhichStayCached() {
        Handle h = open();
        write(h, 0, filled(2 * PAGE, 7), false);
        assertThat(vol.dirtyPages()).isEqualTo(2);
        long cached = vol.cachedPages();
        assertThat(readStore(store, 0, 2 * PAGE)).as("not written back yet").isEqualTo(new byte[2 * PAGE]);
        assertThat(readDirect(h, 0, 2 * PAGE)).isEqualTo(filled(2 * PAGE, 7));
        assertThat(readStore(store, 0, 2 * PAGE)).as("written back by the direct read").isEqualTo(filled(2 * PAGE, 7));
        assertThat(vol.dirtyPages()).isZero();
        assertThat(vol.cachedPages()).as("the pages stay cached").isEqualTo(cached);
    }

    @Test
    void outOfRangeIsEinvalForReadsAndEnospcForWritesAndNothingChanges() {
        Handle h = open();
        write(h, SIZE - PAGE, filled(PAGE, 9), false);
        expectErrno(Errno.EINVAL, () -> h.read(SIZE - 10, ByteBuffer.allocate(20)));
        expectErrno(Errno.EINVAL, () -> h.readDirect(SIZE, ByteBuffer.allocate(1)));
        expectErrno(Errno.EINVAL, () -> h.read(-1, ByteBuffer.allocate(1)));
        expectErrno(Errno.EINVAL, () -> h.write(-PAGE, ByteBuffer.allocate(1), false));
        expectErrno(Errno.ENOSPC, () -> h.write(SIZE - 10, ByteBuffer.wrap(filled(20, 1)), false));
        expectErrno(Errno.ENOSPC, () -> h.writeDirect(SIZE - 10, ByteBuffer.wrap(filled(20, 1)), false));
        expectErrno(Errno.ENOSPC, () -> h.fallocate(FallocateMode.ZERO_RANGE, SIZE - 10, 20));
        expectErrno(Errno.ENOSPC, () -> h.fallocate(FallocateMode.PUNCH_HOLE, SIZE - 10, 20));
        expectErrno(Errno.EINVAL, () -> h.fallocate(FallocateMode.PUNCH_HOLE, 0, -1));
        expectErrno(Errno.EINVAL, () -> h.truncate(-1));
        expectErrno(Errno.EINVAL, () -> h.read(Long.MAX_VALUE - 2, ByteBuffer.allocate(10)));
        assertThat(vol.size()).isEqualTo(SIZE);
        assertThat(read(h, SIZE - PAGE, PAGE)).as("refused operations changed nothing").isEqualTo(filled(PAGE, 9));
    }

    @Test
    void readOnlyVolumeRefusesEveryChangeWithErofs() {
        Handle h = open(VolumeConfig.of("ro").withReadOnly(true), null);
        assertThat(vol.readOnly()).isTrue();
        expectErrno(Errno.EROFS, () -> h.write(0, ByteBuffer.allocate(1), false));
        expectErrno(Errno.EROFS, () -> h.writeDirect(0, ByteBuffer.allocate(PAGE), false));
        for (FallocateMode m : FallocateMode.values()) {
            expectErrno(Errno.EROFS, () -> h.fallocate(m, 0, PAGE));
        }
        expectErrno(Errno.EROFS, () -> h.truncate(SIZE / 2));
        assertThat(read(h, 0, PAGE)).isEqualTo(new byte[PAGE]);
        assertThat(readDirect(h, 0, PAGE)).isEqualTo(new byte[PAGE]);
        assertThat(vol.size()).isEqualTo(SIZE);
    }

    @Test
    void closedHandlesVolumesAndMappingsAreShutdown() {
        Handle h = open();
        Handle other = vol.open();
        Mapping m = other.map(0, 4 * PAGE, true, InvalidationListener.NONE);
        h.close();
        h.close(); // idempotent
        expectErrno(Errno.ESHUTDOWN, () -> h.read(0, ByteBuffer.allocate(1)));
        expectErrno(Errno.ESHUTDOWN, () -> h.write(0, ByteBuffer.allocate(1), false));
        assertThat(read(other, 0, 1)).hasSize(1); // other handles unaffected
        write(m, 0, filled(10, 3));
        vol.close();
        vol.close(); // idempotent
        expectErrno(Errno.ESHUTDOWN, () -> other.read(0, ByteBuffer.allocate(1)));
        expectErrno(Errno.ESHUTDOWN, () -> other.flush());
        expectErrno(Errno.ESHUTDOWN, () -> m.read(0, ByteBuffer.allocate(1)));
        expectErrno(Errno.ESHUTDOWN, () -> vol.open());
        if (store instanceof ArrayStore a) {
            assertThat(a.isClosed()).as("closing the volume closes its store").isTrue();
            assertThat(a.peek(0, 10)).as("close wrote back the mapping's dirty page").isEqualTo(filled(10, 3));
        }
    }

    @Test
    void mappingsStoreAndLoadCoherentlyAndReadOnlyOnesRefuseStoresWithEperm() {
        Handle h = open();
        Mapping rw = h.map(2L * PAGE, 4L * PAGE, true, InvalidationListener.NONE);
        Mapping ro = h.map(0, 8L * PAGE, false, InvalidationListener.NONE);
        assertThat(rw.offset()).isEqualTo(2L * PAGE);
        assertThat(rw.length()).isEqualTo(4L * PAGE);
        assertThat(rw.writable()).isTrue();
        assertThat(ro.writable()).isFalse();
        write(rw, 100, filled(50, 4)); // volume bytes 2*PAGE+100 ..
        assertThat(read(ro, 2L * PAGE + 100, 50)).as("another mapping sees the store").isEqualTo(filled(50, 4));
        assertThat(read(h, 2L * PAGE + 100, 50)).as("buffered reads see the store").isEqualTo(filled(50, 4));
        expectErrno(Errno.EPERM, () -> ro.write(0, ByteBuffer.wrap(filled(10, 5))));
        assertThat(read(ro, 0, 10)).as("refused store changed nothing").isEqualTo(new byte[10]);
        expectErrno(Errno.EINVAL, () -> h.map(100, PAGE, false, InvalidationListener.NONE));
        rw.close();
        rw.close(); // idempotent
        assertThat(vol.dirtyPages()).as("munmap does not lose the dirty page").isEqualTo(1);
    }

    @Test
    void directWriteShootsMappedPagesDownAndTellsTheListener() {
        Handle h = open();
        ConcurrentLinkedQueue<long[]> events = new ConcurrentLinkedQueue<>();
        Mapping m = h.map(0, 16L * PAGE, false, (mp, first, end) -> {
            events.add(new long[] {first, end});
            return Recall.DONE;
        });
        read(m, 0, 16 * PAGE);
        assertThat(m.mappedPages()).isEqualTo(16);
        writeDirect(h, 4L * PAGE + 10, filled(100, 6), false);
        assertThat(events).as("one invalidation covering page 4").isNotEmpty()
                .allSatisfy(e -> assertThat(e[0]).isLessThan(e[1]))
                .anySatisfy(e -> assertThat(e[0] <= 4 && 4 < e[1]).isTrue())
                .allSatisfy(e -> assertThat(e[0] >= 0 && e[1] <= 16).isTrue());
        assertThat(m.mappedPages()).as("page 4 left the mapping").isLessThan(16);
        assertThat(read(m, 4L * PAGE + 10, 100)).as("a new fault sees the direct write").isEqualTo(filled(100, 6));
        events.clear();
        readDirect(h, 0, 16 * PAGE);
        assertThat(events).as("a direct read shoots nothing down").isEmpty();
    }

    @Test
    void punchZeroAndAllocateKeepTheSizeAndReportHoles() {
        Handle h = open();
        write(h, 0, filled(16 * PAGE, 1), false);
        h.flush();
        h.fallocate(FallocateMode.PUNCH_HOLE, 2L * PAGE, 4L * PAGE); // pages 2-5, aligned
        h.fallocate(FallocateMode.PUNCH_HOLE, 8L * PAGE + 100, 200); // inside page 8: zeroed, not deallocated
        h.fallocate(FallocateMode.ZERO_RANGE, 10L * PAGE - 1, 2);
        h.fallocate(FallocateMode.ALLOCATE, 12L * PAGE, 8L * PAGE);
        assertThat(vol.size()).isEqualTo(SIZE);
        byte[] expected = filled(16 * PAGE, 1);
        Arrays.fill(expected, 2 * PAGE, 6 * PAGE, (byte) 0);
        Arrays.fill(expected, 8 * PAGE + 100, 8 * PAGE + 300, (byte) 0);
        Arrays.fill(expected, 10 * PAGE - 1, 10 * PAGE + 1, (byte) 0);
        assertThat(read(h, 0, 16 * PAGE)).isEqualTo(expected);
        assertThat(read(h, 16L * PAGE, 4 * PAGE)).as("allocate keeps zeroes").isEqualTo(new byte[4 * PAGE]);
        h.flush();
        List<Allocation> ex = h.blockStatus(0, 16L * PAGE, 16);
        assertThat(ex).isNotEmpty();
        assertThat(ex.get(0).offset()).isZero();
        assertThat(ex).as("the punched pages are a hole (sparse store)")
                .anySatisfy(e -> assertThat(e.hole() && e.offset() <= 2L * PAGE && e.end() >= 6L * PAGE).isTrue());
        assertThat(ex).as("page 0 is data").anySatisfy(e -> assertThat(!e.hole() && e.offset() == 0).isTrue());
        assertThat(readStore(store, 8L * PAGE + 100, 200)).isEqualTo(new byte[200]);
    }

    @Test
    void blockStatusCountsDirtyCachedPagesAsData() {
        Handle h = open();
        assertThat(h.blockStatus(0, SIZE, 8)).as("a fresh sparse volume is one hole")
                .containsExactly(new Allocation(0, SIZE, true, true));
        write(h, 3L * PAGE, filled(PAGE, 1), false); // dirty, the store still has a hole
        List<Allocation> ex = h.blockStatus(0, 8L * PAGE, 8);
        assertThat(ex).anySatisfy(e -> assertThat(!e.hole() && e.offset() <= 3L * PAGE && e.end() >= 4L * PAGE).isTrue());
        assertThat(ex).anySatisfy(e -> assertThat(e.hole() && e.offset() == 0).isTrue());
        assertThat(h.blockStatus(0, 8L * PAGE, 1)).as("maxExtents 1").hasSize(1)
                .allSatisfy(e -> assertThat(e.offset()).isZero());
    }

    @Test
    void collapseAndInsertShiftTheDataAndTheSize() {
        Handle h = open();
        for (int p = 0; p < 8; p++) {
            write(h, (long) p * PAGE, filled(PAGE, p + 1), false);
        }
        h.fallocate(FallocateMode.COLLAPSE_RANGE, 2L * PAGE, 2L * PAGE); // drop pages 2,3
        assertThat(vol.size()).isEqualTo(SIZE - 2 * PAGE);
        assertThat(read(h, 2L * PAGE, PAGE)).as("page 4 moved to 2").isEqualTo(filled(PAGE, 5));
        assertThat(read(h, SIZE - 3 * PAGE, PAGE)).isEqualTo(new byte[PAGE]);
        h.fallocate(FallocateMode.INSERT_RANGE, PAGE, PAGE); // a zero page before old page 1
        assertThat(vol.size()).isEqualTo(SIZE - PAGE);
        assertThat(read(h, 0, PAGE)).isEqualTo(filled(PAGE, 1));
        assertThat(read(h, PAGE, PAGE)).as("inserted page reads zero").isEqualTo(new byte[PAGE]);
        assertThat(read(h, 2L * PAGE, PAGE)).isEqualTo(filled(PAGE, 2));
        assertThat(read(h, 3L * PAGE, PAGE)).isEqualTo(filled(PAGE, 5));
        long size = vol.size();
        expectErrno(Errno.EINVAL, () -> h.fallocate(FallocateMode.COLLAPSE_RANGE, 100, PAGE));
        expectErrno(Errno.EINVAL, () -> h.fallocate(FallocateMode.COLLAPSE_RANGE, 0, 100));
        expectErrno(Errno.EINVAL, () -> h.fallocate(FallocateMode.COLLAPSE_RANGE, size - PAGE, PAGE)); // reaches EOF
        expectErrno(Errno.EINVAL, () -> h.fallocate(FallocateMode.INSERT_RANGE, size, PAGE)); // not below EOF
        expectErrno(Errno.EINVAL, () -> h.fallocate(FallocateMode.INSERT_RANGE, PAGE, 512));
        assertThat(vol.size()).isEqualTo(size);
        h.flush();
        assertThat(readStore(store, 3L * PAGE, PAGE)).isEqualTo(filled(PAGE, 5));
        assertThat(store.size()).isEqualTo(size);
    }

    @Test
    void truncateShrinksAndGrowsWithZeroesPastTheOldEnd() {
        Handle h = open();
        write(h, 10L * PAGE, filled(2 * PAGE, 8), false); // cached and dirty
        h.truncate(10L * PAGE + 1000);
        assertThat(vol.size()).isEqualTo(10L * PAGE + 1000);
        expectErrno(Errno.EINVAL, () -> h.read(10L * PAGE + 1000, ByteBuffer.allocate(1)));
        expectErrno(Errno.ENOSPC, () -> h.write(10L * PAGE + 999, ByteBuffer.allocate(2), false));
        assertThat(read(h, 10L * PAGE, 1000)).isEqualTo(filled(1000, 8));
        h.truncate(SIZE);
        assertThat(read(h, 10L * PAGE + 1000, 2 * PAGE - 1000)).as("cut bytes come back as zeroes")
                .isEqualTo(new byte[2 * PAGE - 1000]);
        h.flush();
        assertThat(readStore(store, 10L * PAGE + 1000, 2 * PAGE - 1000)).isEqualTo(new byte[2 * PAGE - 1000]);
        assertThat(store.size()).isEqualTo(SIZE);
    }

    @Test
    void fuaWritesReachTheStoreBeforeReturningOthersWaitForWriteback() {
        Handle h = open();
        write(h, 0, filled(100, 1), true);
        assertThat(readStore(store, 0, 100)).isEqualTo(filled(100, 1));
        write(h, 5L * PAGE, filled(100, 2), false);
        assertThat(readStore(store, 5L * PAGE, 100)).as("no background threads: still only in the cache")
                .isEqualTo(new byte[100]);
        assertThat(vol.dirtyPages()).isEqualTo(1);
        assertThat(engine.dirtyBytes()).isEqualTo(PAGE);
    }

    @Test
    void rangedFlushWritesBackOnlyItsRange() {
        Handle h = open();
        write(h, 0, filled(10, 1), false);
        write(h, 10L * PAGE, filled(10, 2), false);
        h.flush(0, PAGE);
        assertThat(readStore(store, 0, 10)).isEqualTo(filled(10, 1));
        assertThat(readStore(store, 10L * PAGE, 10)).isEqualTo(new byte[10]);
        assertThat(vol.dirtyPages()).isEqualTo(1);
        h.flush();
        assertThat(vol.dirtyPages()).isZero();
        assertThat(readStore(store, 10L * PAGE, 10)).isEqualTo(filled(10, 2));
    }

    static EngineConfig expiring(Duration expire) {
        return new EngineConfig(1 << 20, 0.10, 0.40, expire, Duration.ofMillis(10), Duration.ofSeconds(10), false);
    }

    @Test
    void youngDirtyPagesStayDirtyThroughWritebackNow() {
        Handle h = open(expiring(Duration.ofHours(1)), VolumeConfig.of("young"), null);
        write(h, 0, filled(2 * PAGE, 3), false);
        engine.writebackNow(); // 2 of 256 pages dirty: below the background ratio, and not expired
        assertThat(vol.dirtyPages()).isEqualTo(2);
        assertThat(readStore(store, 0, 2 * PAGE)).isEqualTo(new byte[2 * PAGE]);
    }

    @Test
    void expiredDirtyPagesAreWrittenBackByWritebackNowOnly() {
        Duration expire = Duration.ofMillis(20);
        Handle h = open(expiring(expire), VolumeConfig.of("old"), null);
        long t0 = System.nanoTime();
        write(h, 0, filled(2 * PAGE, 3), false);
        TestSupport.awaitCondition(() -> System.nanoTime() - t0 > 2 * expire.toNanos(), Duration.ofSeconds(5),
                "the pages to age past dirtyExpire");
        assertThat(vol.dirtyPages()).as("no background threads: nothing happens on its own").isEqualTo(2);
        assertThat(readStore(store, 0, 2 * PAGE)).isEqualTo(new byte[2 * PAGE]);
        engine.writebackNow();
        assertThat(vol.dirtyPages()).isZero();
        assertThat(engine.dirtyBytes()).isZero();
        assertThat(readStore(store, 0, 2 * PAGE)).isEqualTo(filled(2 * PAGE, 3));
        assertThat(read(h, 0, 2 * PAGE)).isEqualTo(filled(2 * PAGE, 3));
    }

    @Test
    void expiryWritesBackTheWholeChunkOfAnExpiredPageAndLeavesYoungChunksDirty() {
        java.util.concurrent.atomic.AtomicLong clock = new java.util.concurrent.atomic.AtomicLong(Long.MAX_VALUE - 1_000);
        engine = new Engine(expiring(Duration.ofSeconds(5)), clock::get); // a clock that also wraps
        store = TestStores.memory(SIZE);
        vol = engine.open(VolumeConfig.of("chunks"), store);
        Handle h = vol.open();
        write(h, 0, filled(PAGE, 1), false);                 // chunk 0 (pages 0-63), dirtied at t
        clock.addAndGet(Duration.ofSeconds(6).toNanos());
        write(h, 5L * PAGE, filled(PAGE, 2), false);         // chunk 0 again, young
        write(h, 64L * PAGE, filled(PAGE, 3), false);        // chunk 1, young
        engine.writebackNow(); // 3 of 256 pages dirty: below the background ratio, only expiry acts
        assertThat(vol.dirtyPages()).as("chunk 1's page is young and stays dirty").isEqualTo(1);
        assertThat(readStore(store, 0, PAGE)).isEqualTo(filled(PAGE, 1));
        assertThat(readStore(store, 5L * PAGE, PAGE)).as("went with its chunk's old page").isEqualTo(filled(PAGE, 2));
        assertThat(readStore(store, 64L * PAGE, PAGE)).isEqualTo(new byte[PAGE]);
        clock.addAndGet(Duration.ofSeconds(6).toNanos());
        engine.writebackNow();
        assertThat(vol.dirtyPages()).isZero();
        assertThat(readStore(store, 64L * PAGE, PAGE)).isEqualTo(filled(PAGE, 3));
    }

    @ParameterizedTest
    @EnumSource(LockPolicy.class)
    void cachedBufferedIoTakesNoPagecacheLock(LockPolicy policy) {
        CountingLockListener locks = new CountingLockListener();
        Handle h = open(VolumeConfig.of("fastpath").withLockPolicy(policy), locks);
        h.fadvise(Advice.RANDOM, 0, 0); // no readahead
        read(h, 5L * PAGE, PAGE);
        assertThat(locks.acquired(LockMode.ADD)).as("a miss takes ADD").isPositive();
        assertThat(locks.acquired(LockMode.BLOCK)).isZero();
        long before = locks.acquisitions();
        read(h, 5L * PAGE, PAGE);
        read(h, 5L * PAGE + 100, 200);
        write(h, 5L * PAGE + 10, filled(100, 1), false);
        assertThat(read(h, 5L * PAGE + 10, 100)).isEqualTo(filled(100, 1));
        assertThat(locks.acquisitions()).as("cached page: no pagecache lock at all").isEqualTo(before);
        h.writeDirect(20L * PAGE, ByteBuffer.allocate(PAGE), false);
        assertThat(locks.acquired(LockMode.BLOCK)).as("a direct write takes BLOCK").isPositive();
        assertThat(locks.released.get(0) + locks.released.get(1)).as("every hold released")
                .isEqualTo(locks.acquisitions());
    }

    @Test
    void pageAccountingReturnsToZeroWhenTheVolumeCloses() {
        Handle h = open();
        read(h, 0, 8 * PAGE);
        write(h, 100L * PAGE, filled(PAGE, 1), false);
        assertThat(vol.cachedPages()).isGreaterThanOrEqualTo(9);
        assertThat(engine.usedBytes()).isGreaterThanOrEqualTo(9L * PAGE);
        assertThat(engine.dirtyBytes()).isEqualTo(PAGE);
        vol.close();
        assertThat(engine.usedBytes()).isZero();
        assertThat(engine.dirtyBytes()).isZero();
        if (store instanceof ArrayStore a) {
            assertThat(a.peek(100L * PAGE, PAGE)).as("close wrote the dirty page back").isEqualTo(filled(PAGE, 1));
            assertThat(a.forces()).as("close forced the store").isPositive();
        }
    }

    @Test
    void readWithoutWaitingFillsAbsentPagesTheStoreHoldsInMemory() {
        Handle h = open();
        byte[] data = filled(2 * PAGE + 100, 5);
        store.write(PAGE, ByteBuffer.wrap(data));
        ByteBuffer dst = ByteBuffer.allocate(data.length);
        assertThat(h.fastPaths().readWithoutWaiting(PAGE, dst)).isTrue();
        assertThat(dst.array()).isEqualTo(data);
        assertThat(vol.cachedPages()).as("the three pages it filled stay cached").isEqualTo(3);
    }

    @Test
    void readWithoutWaitingFillsAtMostItsBudgetOfPages() {
        Handle h = open();
        int pages = BufferedIo.MAX_NONBLOCKING_FILL_PAGES + 1;
        ByteBuffer dst = ByteBuffer.allocate(pages * PAGE);
        dst.position(7).limit(dst.position() + (pages - 1) * PAGE + 1);
        assertThat(h.fastPaths().readWithoutWaiting(0, dst)).isFalse();
        assertThat(dst.position()).as("a refusal leaves the position").isEqualTo(7);
        assertThat(vol.cachedPages()).as("a request over the budget fills nothing").isZero();
        dst.clear().limit(BufferedIo.MAX_NONBLOCKING_FILL_PAGES * PAGE);
        assertThat(h.fastPaths().readWithoutWaiting(0, dst)).as("exactly the budget is fine").isTrue();
    }

    @Test
    void readWithoutWaitingGivesUpAndCachesNothingWhenTheStoreWouldWait() {
        engine = new Engine(EngineConfig.withCache(1 << 20).withBackgroundThreads(false));
        store = new ArrayStore(SIZE); // answers readIfInMemory with false, like a file on a cold disk
        store.write(0, ByteBuffer.wrap(filled(PAGE, 3)));
        vol = engine.open(VolumeConfig.of("cold"), store);
        Handle h = vol.open();
        ByteBuffer dst = ByteBuffer.allocate(PAGE);
        assertThat(h.fastPaths().readWithoutWaiting(0, dst)).isFalse();
        assertThat(dst.position()).isZero();
        assertThat(vol.cachedPages()).as("the page it tried is gone again").isZero();
        h.read(0, dst);
        assertThat(dst.array()).isEqualTo(filled(PAGE, 3));
        assertThat(h.fastPaths().readWithoutWaiting(0, dst.clear())).as("now a cache hit").isTrue();
    }

    @Test
    void readWithoutWaitingNeverWaitsForBlock() throws Exception {
        Handle h = open();
        var hold = vol.lock().acquire(LockMode.BLOCK, 0, vol.pageCount(), Long.MAX_VALUE);
        try {
            assertThat(h.fastPaths().readWithoutWaiting(0, ByteBuffer.allocate(PAGE))).as("ADD is not free").isFalse();
        } finally {
            hold.close();
        }
        assertThat(h.fastPaths().readWithoutWaiting(0, ByteBuffer.allocate(PAGE))).isTrue();
    }

    @Test
    void largeTransfersOverUncachedRangesGoAroundTheCache() {
        Handle h = open(VolumeConfig.of("bypass").withBypassBytes(8 * PAGE), null);
        byte[] data = filled(8 * PAGE, 4);
        write(h, 16 * PAGE, data, false);
        assertThat(vol.cachedPages()).as("an aligned 8-page write over nothing cached").isZero();
        assertThat(readStore(store, 16 * PAGE, data.length)).as("it went straight to the store").isEqualTo(data);
        assertThat(read(h, 16 * PAGE, data.length)).isEqualTo(data);
        assertThat(vol.cachedPages()).as("so did the read").isZero();
        assertThat(read(h, 16 * PAGE, 7 * PAGE)).as("shorter than the threshold: cached").hasSize(7 * PAGE);
        assertThat(vol.cachedPages()).isGreaterThanOrEqualTo(7);
    }

    @Test
    void largeTransfersOverCachedPagesKeepThemCoherent() {
        Handle h = open(VolumeConfig.of("bypass").withBypassBytes(8 * PAGE), null);
        write(h, 20 * PAGE + 10, filled(100, 9), false); // one dirty page, not yet in the store
        assertThat(vol.dirtyPages()).isEqualTo(1);
        byte[] got = read(h, 16 * PAGE, 8 * PAGE);
        assertThat(Arrays.copyOfRange(got, 4 * PAGE + 10, 4 * PAGE + 110)).as("the dirty page is laid over the store's bytes")
                .isEqualTo(filled(100, 9));
        byte[] data = filled(8 * PAGE, 6);
        write(h, 16 * PAGE, data, false);
        assertThat(readStore(store, 16 * PAGE, data.length)).as("in the store at once").isEqualTo(data);
        assertThat(vol.cachedPages()).as("the cached page stays cached").isEqualTo(1);
        assertThat(vol.dirtyPages()).as("and holds the store's bytes: clean").isZero();
        assertThat(read(h, 20 * PAGE, PAGE)).as("a cache hit sees the new bytes").isEqualTo(Arrays.copyOfRange(data, 4 * PAGE, 5 * PAGE));
        write(h, 40 * PAGE + 1, filled(8 * PAGE, 2), false);
        assertThat(vol.cachedPages()).as("unaligned: read-modify-write in the cache").isGreaterThanOrEqualTo(9);
    }
}
