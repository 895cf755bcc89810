package io.blockhaus.engine;

import static io.blockhaus.engine.TestSupport.PAGE;
import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import io.blockhaus.engine.lock.LockListener;
import io.blockhaus.engine.lock.LockMode;
import io.blockhaus.engine.lock.LockOutcome;
import io.blockhaus.engine.lock.LockPolicy;
import io.blockhaus.engine.lock.PagecacheLock;
import io.blockhaus.engine.store.BackingStore;
import io.blockhaus.engine.store.Extent;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Threads running mixed operations on overlapping and disjoint ranges for a few seconds
 * ({@code -Dstress.seconds=N}, default 3, bounded by a deadline) per policy. Checks:
 * <ol>
 *   <li>ADD/BLOCK exclusion, through a checking wrapper around the backing store: store calls that
 *       change data under BLOCK (fallocate, truncate, direct writes — the threads mark themselves
 *       while in a BLOCK operation) never overlap in time with store reads made to add pages
 *       (buffered misses, faults, readahead) on overlapping pages, under either policy; and during
 *       BLOCK-only store calls (punch, zero, truncate...) {@code holders(BLOCK) >= 1}, and
 *       {@code holders(ADD) == 0} under two-state.</li>
 *   <li>Once a direct write, buffered write, punch, zero-range or truncate returns, no reader on any
 *       handle (buffered, direct or through a mapping) sees older data: every writer owns regions and
 *       stamps every 512-byte sector with a version; readers check what they read against the last
 *       version completed before their read began.</li>
 *   <li>Page accounting returns to zero once the volume is closed.</li>
 * </ol>
 *
 * <p>Assumption: the engine makes a direct I/O's, fallocate's and truncate's store calls on the
 * calling thread (the wrapper tells BLOCK store reads from ADD ones by the calling thread).
 */
class ConcurrencyStressTest {
    static final int SECTOR = 512;
    static final int REGION = 64 << 10;
    static final int REGIONS = 6;
    static final int TRUNC_REGION = REGIONS - 1;
    static final long SIZE = (long) REGIONS * REGION;

    /** Set while a test thread is inside an operation that holds BLOCK. */
    static final ThreadLocal<Boolean> IN_BLOCK_OP = ThreadLocal.withInitial(() -> false);
    /** BLOCK holds of this thread, as the lock reports them: buffered I/O the engine routes around the cache takes BLOCK too. */
    static final ThreadLocal<int[]> BLOCK_HELD = ThreadLocal.withInitial(() -> new int[1]);
    static final LockListener BLOCK_HOLDS = new LockListener() {
        @Override
        public void acquired(LockMode mode, LockPolicy policy, long waitNanos, boolean contended) {
            if (mode == LockMode.BLOCK) {
                BLOCK_HELD.get()[0]++;
            }
        }

        @Override
        public void released(LockMode mode, LockPolicy policy, long holdNanos) {
            if (mode == LockMode.BLOCK) {
                BLOCK_HELD.get()[0]--;
            }
        }

        @Override
        public void failed(LockMode mode, LockPolicy policy, long waitNanos, LockOutcome outcome) {
        }

        @Override
        public boolean timed() {
            return false;
        }
    };

    static boolean inBlock() {
        return IN_BLOCK_OP.get() || BLOCK_HELD.get()[0] > 0;
    }

    /** Each lock policy with the streaming bypass off, and on from 16 KiB (so region-sized I/O takes it). */
    static Stream<Arguments> variants() {
        return Stream.of(LockPolicy.values())
                .flatMap(p -> Stream.of(Arguments.of(p, 0), Arguments.of(p, 16 << 10)));
    }

    @ParameterizedTest(name = "{0}, bypass={1}")
    @MethodSource("variants")
    void mixedOperationsKeepExclusionFreshnessAndAccounting(LockPolicy policy, int bypass) throws Exception {
        long seed = TestSupport.seed("stress.seed");
        long seconds = Long.getLong("stress.seconds", 3);
        System.out.println("ConcurrencyStressTest seed=" + seed + " policy=" + policy.label() + " bypass=" + bypass
                + " seconds=" + seconds
                + " (thread interleaving is not replayable; the seed fixes each thread's choices)");
        CheckingStore store = new CheckingStore(TestStores.memory(SIZE), policy);
        // 512 KiB: the two readers' mappings pin 32 pages, writers dirty up to 48 at once.
        Engine engine = new Engine(EngineConfig.withCache(512 << 10));
        try {
            Volume vol = engine.open(VolumeConfig.of("stress").withLockPolicy(policy).withBypassBytes(bypass), store,
                    BLOCK_HOLDS);
            store.lock = vol.lock();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            AtomicReference<Throwable> error = new AtomicReference<>();
            AtomicLongArray completed = new AtomicLongArray(REGIONS);   // last version whose op returned
            AtomicLongArray started = new AtomicLongArray(REGIONS);     // last version begun
            AtomicLongArray zeroStarted = new AtomicLongArray(REGIONS); // last zeroing version begun
            boolean[] lastWasZero = new boolean[REGIONS];
            AtomicLongArray progress = new AtomicLongArray(6);
            List<Thread> threads = new ArrayList<>();

            for (int w = 0; w < 3; w++) {
                int id = w;
                Handle h = vol.open();
                SplittableRandom rnd = new SplittableRandom(seed + 100 + w);
                threads.add(thread("writer-" + w, error, () -> {
                    int[] own = {id, id + 3};
                    while (System.nanoTime() < deadline && error.get() == null) {
                        int g = own[rnd.nextInt(2)];
                        long v = started.get(g) + 1;
                        int kind = rnd.nextInt(g == TRUNC_REGION ? 6 : 5);
                        boolean zero = kind >= 3;
                        if (zero) {
                            zeroStarted.set(g, v);
                        }
                        started.set(g, v);
                        long off = (long) g * REGION;
                        switch (kind) {
                            case 0 -> blockOp(() -> h.writeDirect(off, ByteBuffer.wrap(content(g, v, REGION)), rnd.nextBoolean()));
                            case 1, 2 -> h.write(off, ByteBuffer.wrap(content(g, v, REGION)), kind == 2);
                            case 3 -> blockOp(() -> h.fallocate(FallocateMode.PUNCH_HOLE, off, REGION));
                            case 4 -> blockOp(() -> h.fallocate(FallocateMode.ZERO_RANGE, off, REGION));
                            default -> blockOp(() -> h.truncate(off)); // the last region is cut off
                        }
                        lastWasZero[g] = zero;
                        completed.set(g, v);
                        if (kind == 5) {
                            blockOp(() -> h.truncate(SIZE)); // and comes back as zeroes
                        }
                        progress.incrementAndGet(id);
                    }
                }));
            }

            for (int r = 0; r < 2; r++) {
                int id = r;
                Handle h = vol.open();
                Mapping map = h.map((long) r * REGION, REGION, false, InvalidationListener.NONE);
                SplittableRandom rnd = new SplittableRandom(seed + 200 + r);
                threads.add(thread("reader-" + r, error, () -> {
                    while (System.nanoTime() < deadline && error.get() == null) {
                        int how = rnd.nextInt(3);
                        long off;
                        int len;
                        if (how == 2) {
                            off = (long) id * REGION + (long) rnd.nextInt(REGION / SECTOR) * SECTOR;
                            len = SECTOR * (1 + rnd.nextInt((int) ((id + 1L) * REGION - off) / SECTOR));
                        } else {
                            off = (long) rnd.nextInt((int) (SIZE / SECTOR)) * SECTOR;
                            len = (int) Math.min(SIZE - off, SECTOR * (1L + rnd.nextInt(2 * REGION / SECTOR)));
                        }
                        int g0 = (int) (off / REGION);
                        int g1 = (int) ((off + len - 1) / REGION);
                        long[] start = new long[REGIONS];
                        for (int g = g0; g <= g1; g++) {
                            start[g] = completed.get(g);
                        }
                        ByteBuffer b = ByteBuffer.allocate(len);
                        try {
                            switch (how) {
                                case 0 -> h.read(off, b);
                                case 1 -> blockOp(() -> h.readDirect(off, b));
                                default -> map.read(off - (long) id * REGION, b);
                            }
                        } catch (ErrnoException e) {
                            if (e.errno() == Errno.EINVAL && g1 == TRUNC_REGION) {
                                continue; // the last region was cut off just then
                            }
                            throw e;
                        }
                        for (int s = 0; s < len / SECTOR; s++) {
                            long at = off + (long) s * SECTOR;
                            int g = (int) (at / REGION);
                            checkSector(b.array(), s * SECTOR, g, at, start[g], started.get(g), zeroStarted.get(g),
                                    new String[] {"buffered", "direct", "mapping"}[how]);
                        }
                        progress.incrementAndGet(3 + id);
                    }
                }));
            }

            Handle ch = vol.open();
            SplittableRandom crnd = new SplittableRandom(seed + 300);
            threads.add(thread("chaos", error, () -> {
                while (System.nanoTime() < deadline && error.get() == null) {
                    long off = (long) crnd.nextInt((int) (SIZE / PAGE)) * PAGE;
                    long len = Math.min(SIZE - off, PAGE * (1L + crnd.nextInt(48)));
                    boolean touchesTail = off + len > (long) TRUNC_REGION * REGION;
                    try {
                        switch (crnd.nextInt(8)) {
                            case 0 -> ch.fadvise(Advice.WILLNEED, off, len);
                            case 1 -> ch.fadvise(Advice.DONTNEED, off, crnd.nextBoolean() ? len : 0);
                            case 2 -> ch.fadvise(Advice.values()[crnd.nextInt(Advice.values().length)], 0, 0);
                            case 3 -> ch.flush();
                            case 4 -> ch.flush(off, len);
                            case 5 -> engine.writebackNow();
                            default -> {
                                List<Allocation> ex = ch.blockStatus(off, len, 1 + crnd.nextInt(8));
                                assertThat(ex).as("block status %d+%d", off, len).isNotEmpty();
                                long pos = off;
                                for (Allocation e : ex) {
                                    assertThat(e.offset()).as("contiguous extents %s", ex).isEqualTo(pos);
                                    pos = e.end();
                                }
                                assertThat(pos).isLessThanOrEqualTo(off + len);
                            }
                        }
                    } catch (ErrnoException e) {
                        if (!(touchesTail && e.errno() == Errno.EINVAL)) {
                            throw e;
                        }
                    }
                    progress.incrementAndGet(5);
                }
            }));

            for (Thread t : threads) {
                t.join(TimeUnit.SECONDS.toMillis(seconds + 30));
            }
            for (Thread t : threads) {
                assertThat(t.isAlive()).as("%s still running 30 s past the deadline (hang?)", t.getName()).isFalse();
            }
            if (error.get() != null) {
                throw new AssertionError("seed=" + seed + " policy=" + policy.label() + " bypass=" + bypass + ": " + error.get(), error.get());
            }
            assertThat(store.violations).as("lock exclusion violations seen by the store").isEmpty();
            assertThat(store.blockOnlyCalls.get()).as("BLOCK-only store calls observed").isPositive();
            for (int i = 0; i < progress.length(); i++) {
                assertThat(progress.get(i)).as("progress of thread %d", i).isPositive();
            }

            // Everything has returned: each region is exactly its last completed version.
            assertThat(vol.size()).isEqualTo(SIZE);
            Handle fin = vol.open();
            for (int g = 0; g < REGIONS; g++) {
                byte[] got = TestSupport.read(fin, (long) g * REGION, REGION);
                byte[] want = lastWasZero[g] || completed.get(g) == 0 ? new byte[REGION] : content(g, completed.get(g), REGION);
                assertThat(got).as("final content of region %d (version %d)", g, completed.get(g)).isEqualTo(want);
            }
            vol.close();
            assertThat(engine.usedBytes()).as("usedBytes after closing the volume").isZero();
            assertThat(engine.dirtyBytes()).as("dirtyBytes after closing the volume").isZero();
        } finally {
            engine.close();
        }
    }

    static Thread thread(String name, AtomicReference<Throwable> error, Runnable body) {
        Thread t = new Thread(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                error.compareAndSet(null, new AssertionError(name + ": " + e, e));
            }
        }, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    static void blockOp(Runnable r) {
        IN_BLOCK_OP.set(true);
        try {
            r.run();
        } finally {
            IN_BLOCK_OP.set(false);
        }
    }

    /** Version {@code v} of region {@code g}: each sector starts with (g, v) and a derived filler. */
    static byte[] content(int g, long v, int len) {
        ByteBuffer b = ByteBuffer.allocate(len);
        while (b.hasRemaining()) {
            long head = ((long) g << 48) | v;
            b.putLong(head);
            for (int j = 1; j < SECTOR / 8; j++) {
                b.putLong(head * 0x9E3779B97F4A7C15L + j);
            }
        }
        return b.array();
    }

    static void checkSector(byte[] buf, int at, int g, long volOff, long start, long startedNow, long zeroStartedNow,
            String how) {
        ByteBuffer b = ByteBuffer.wrap(buf, at, SECTOR);
        long head = b.getLong(at);
        boolean zero = true;
        for (int i = 0; i < SECTOR; i++) {
            if (buf[at + i] != 0) {
                zero = false;
                break;
            }
        }
        if (zero) {
            if (zeroStartedNow < start) {
                throw new AssertionError(how + " read of sector at " + volOff + " (region " + g + ") saw zeroes, but version "
                        + start + " (data) had completed before the read began and no zeroing since");
            }
            return;
        }
        int region = (int) (head >>> 48);
        long v = head & ((1L << 48) - 1);
        for (int j = 1; j < SECTOR / 8; j++) {
            if (b.getLong(at + j * 8) != head * 0x9E3779B97F4A7C15L + j) {
                throw new AssertionError(how + " read of sector at " + volOff + " is garbage (torn or misplaced)");
            }
        }
        if (region != g) {
            throw new AssertionError(how + " read of sector at " + volOff + " holds region " + region + "'s data");
        }
        if (v < start) {
            throw new AssertionError(how + " read of sector at " + volOff + " (region " + g + ") saw version " + v
                    + ", older than version " + start + " that had completed before the read began");
        }
        if (v > startedNow) {
            throw new AssertionError(how + " read of sector at " + volOff + " saw version " + v + " from the future");
        }
    }

    /** Wraps a store and checks, from below, that ADD and BLOCK never overlap. */
    static final class CheckingStore implements BackingStore {
        final BackingStore d;
        final LockPolicy policy;
        volatile PagecacheLock lock;
        final ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
        final AtomicLong blockOnlyCalls = new AtomicLong();
        private final List<long[]> active = new ArrayList<>(); // {first, end, kind}
        static final int ADD_READ = 0;
        static final int BLOCK_CHANGE = 1;

        CheckingStore(BackingStore d, LockPolicy policy) {
            this.d = d;
            this.policy = policy;
        }

        /**
         * Registers a store call in progress. A page-adding read (ADD) and a BLOCK store call that
         * changes data must never run at once on overlapping pages, under either policy: each runs
         * while its lock (or, for a fill done after the insertion, the new page's lock, which the
         * BLOCK side's write-and-invalidate must wait for) is held. Direct reads are not registered:
         * two reads overlapping is harmless whichever way the engine fills pages. (Whole-volume
         * exclusion under two-state is checked by sampling holders(ADD) instead.)
         */
        private long[] enter(long offset, long length, int kind, String what) {
            long first = offset / PAGE;
            long end = length == Long.MAX_VALUE ? Long.MAX_VALUE : Math.ceilDiv(offset + length, PAGE);
            long[] me = {first, end, kind};
            synchronized (active) {
                for (long[] o : active) {
                    boolean conflict = o[2] != kind && o[0] < end && first < o[1];
                    if (conflict && violations.size() < 20) {
                        violations.add(what + " on pages [" + first + "," + end + ") ran while a "
                                + (kind == BLOCK_CHANGE ? "page-adding read" : "BLOCK store call") + " on [" + o[0] + ","
                                + o[1] + ") was running");
                    }
                }
                active.add(me);
            }
            return me;
        }

        private void exit(long[] me) {
            synchronized (active) {
                active.remove(me);
            }
        }

        private void sampleBlockOnly(String what) {
            blockOnlyCalls.incrementAndGet();
            PagecacheLock l = lock;
            if (l == null) {
                return;
            }
            if (l.holders(LockMode.BLOCK) < 1) {
                violations.add(what + " ran with no BLOCK holder");
            }
            if (policy == LockPolicy.TWO_STATE && l.holders(LockMode.ADD) != 0) {
                violations.add(what + " ran with " + l.holders(LockMode.ADD) + " ADD holders under two-state");
            }
        }

        private void blockOnly(String what, long offset, long length, Runnable r) {
            long[] me = enter(offset, length, BLOCK_CHANGE, what);
            try {
                sampleBlockOnly(what);
                r.run();
                sampleBlockOnly(what);
            } finally {
                exit(me);
            }
        }

        @Override
        public long size() {
            return d.size();
        }

        @Override
        public void read(long offset, ByteBuffer dst) {
            if (inBlock()) {
                d.read(offset, dst); // a direct read: BLOCK, but changes nothing
                return;
            }
            long[] me = enter(offset, dst.remaining(), ADD_READ, "page-adding read");
            try {
                d.read(offset, dst);
            } finally {
                exit(me);
            }
        }

        @Override
        public void write(long offset, ByteBuffer src) {
            if (!inBlock()) {
                d.write(offset, src); // writeback: no pagecache lock involved
                return;
            }
            long[] me = enter(offset, src.remaining(), BLOCK_CHANGE, "direct write");
            try {
                d.write(offset, src);
            } finally {
                exit(me);
            }
        }

        @Override
        public void punchHole(long offset, long length) {
            blockOnly("punchHole", offset, length, () -> d.punchHole(offset, length));
        }

        @Override
        public void zeroRange(long offset, long length) {
            blockOnly("zeroRange", offset, length, () -> d.zeroRange(offset, length));
        }

        @Override
        public void allocate(long offset, long length) {
            blockOnly("allocate", offset, length, () -> d.allocate(offset, length));
        }

        @Override
        public void collapseRange(long offset, long length) {
            blockOnly("collapseRange", offset, Long.MAX_VALUE, () -> d.collapseRange(offset, length));
        }

        @Override
        public void insertRange(long offset, long length) {
            blockOnly("insertRange", offset, Long.MAX_VALUE, () -> d.insertRange(offset, length));
        }

        @Override
        public void truncate(long newSize) {
            long from = Math.min(newSize, d.size());
            blockOnly("truncate", from / PAGE * PAGE, Long.MAX_VALUE, () -> d.truncate(newSize));
        }

        @Override
        public void force() {
            d.force();
        }

        @Override
        public List<Extent> extents(long offset, long length, int maxExtents) {
            return d.extents(offset, length, maxExtents);
        }

        @Override
        public int blockAlignment() {
            return d.blockAlignment();
        }

        @Override
        public void close() {
            d.close();
        }
    }
}
