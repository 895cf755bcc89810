package io.blockhaus.engine;

import static io.blockhaus.engine.TestSupport.PAGE;

import io.blockhaus.engine.TestSupport.CountingLockListener;
import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import io.blockhaus.engine.lock.LockPolicy;
import io.blockhaus.engine.store.BackingStore;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.LongFunction;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The project's "fsx": a long random sequence of every engine operation, each result checked byte
 * for byte against a plain byte array, with a cache far smaller than the volume so that eviction,
 * readahead and writeback run all the time.
 *
 * <p>Replay a failure with {@code -Dfsx.seed=N} (printed at the start and in the failure message,
 * together with the op index and the last 50 ops); change the length with {@code -Dfsx.ops=N}.
 *
 * <p>Set-up: a 4 MiB volume (size moves between 1 and 8 MiB through truncate, collapse, insert),
 * page 4 KiB, fault-around 4 pages (16 KiB windows), readahead at most 8 pages; 4 handles; two
 * mappings of the volume (one writable, one read-only, both window-aligned and at most 8 pages so
 * that pinned pages stay well inside the 64-page budget); and a small second volume with a
 * writable mapping, used as a direct-I/O buffer that never deadlocks.
 *
 * <p>Assumptions (listed in the report too):
 * <ul>
 *   <li>Direct I/O need not be aligned (the API names no alignment rule for it).</li>
 *   <li>Reads crossing the end are EINVAL, writes and punch/zero crossing it ENOSPC, as a whole:
 *       nothing is transferred or changed.</li>
 *   <li>EDEADLOCK rule as stated: two-state — any mapping of the same volume; range — the buffer's
 *       pages widened to the aligned fault-around window overlap the I/O's pages. Our mappings are
 *       window-aligned, so clipping the window to the mapping changes nothing.</li>
 *   <li>The engine reports each EDEADLOCK refusal to the lock listener exactly once.</li>
 *   <li>Invalidation events only come from shoot-downs: successful direct writes, fallocate,
 *       truncate, and only for pages intersecting the operation's range (from the offset to the
 *       end for collapse/insert/truncate). Direct reads, DONTNEED, eviction and refused
 *       operations invalidate nothing. Mapped pages are never evicted or dropped.</li>
 *   <li>After fsync/flush of a range, after a direct read or write of a range, and after a FUA
 *       write, the backing store holds the volume's bytes for that range.</li>
 *   <li>Block status returns at least one extent for a non-empty in-range query.</li>
 * </ul>
 */
public class FsxModelTest {
    static final int FA = 4;
    static final long WINDOW = (long) FA * PAGE;
    static final int INIT_SIZE = 4 << 20;
    static final int MIN_SIZE = 1 << 20;
    static final int MAX_SIZE = 8 << 20;
    static final int OTHER_SIZE = 64 << 10;
    static final int MAX_IO = 64 << 10;
    static final long CACHE = 256 << 10;
    static final int BYPASS = 32 << 10;

    static Stream<Arguments> variants() {
        return Stream.of(
                Arguments.of(LockPolicy.TWO_STATE, false),
                Arguments.of(LockPolicy.TWO_STATE, true),
                Arguments.of(LockPolicy.RANGE, false),
                Arguments.of(LockPolicy.RANGE, true));
    }

    @ParameterizedTest(name = "{0}, backgroundThreads={1}")
    @MethodSource("variants")
    void randomOperationsMatchTheModel(LockPolicy policy, boolean background) {
        long seed = TestSupport.seed("fsx.seed");
        int ops = Integer.getInteger("fsx.ops", 200_000);
        System.out.println("FsxModelTest seed=" + seed + " policy=" + policy.label() + " backgroundThreads="
                + background + " bypass=" + (background ? BYPASS : 0) + " ops=" + ops + "   (replay: -Dfsx.seed=" + seed + ")");
        new Run(policy, background, seed, ops).execute();
    }

    /**
     * The same run on volumes from {@code stores} (size in, a store of that size reading zero
     * out), for stores in other packages (s3). {@code reshapes} false: the store answers ENOTSUP
     * to collapse and insert, which the run then expects, leaving the model as it was.
     */
    public static void run(LockPolicy policy, boolean background, long seed, int ops, LongFunction<BackingStore> stores,
                           boolean reshapes) {
        System.out.println("FsxModelTest (custom store) seed=" + seed + " policy=" + policy.label() + " backgroundThreads="
                + background + " ops=" + ops + "   (replay with the same seed)");
        Run run = new Run(policy, background, seed, ops);
        run.stores = stores;
        run.reshapes = reshapes;
        run.execute();
    }

    /** One mapping and what the model knows of it. */
    static final class MapState {
        final int id;
        final Mapping m;
        final long off;
        final long len;
        final boolean writable;
        final boolean onOther;
        long lastMapped;

        MapState(int id, Mapping m, long off, long len, boolean writable, boolean onOther) {
            this.id = id;
            this.m = m;
            this.off = off;
            this.len = len;
            this.writable = writable;
            this.onOther = onOther;
        }
    }

    static final class Run {
        final LockPolicy policy;
        final boolean background;
        final long seed;
        final int ops;
        LongFunction<BackingStore> stores = TestStores::memory;
        boolean reshapes = true;
        final SplittableRandom rnd;

        Engine engine;
        Volume vol;
        BackingStore store;
        final byte[] model = new byte[MAX_SIZE];
        long size = INIT_SIZE;
        final Handle[] h = new Handle[4];
        final long[] seqPos = new long[4];
        final MapState[] maps = new MapState[2];

        Volume other;
        BackingStore otherStore;
        final byte[] otherModel = new byte[OTHER_SIZE];
        Handle oh;
        MapState omap;

        final CountingLockListener locks = new CountingLockListener();
        final CountingLockListener otherLocks = new CountingLockListener();
        final ConcurrentLinkedQueue<long[]> invalidations = new ConcurrentLinkedQueue<>();
        int nextMapId;

        final String[] ring = new String[50];
        long ringPos;
        long opIndex;
        long allowFirst = -1;
        /** Pages of the second volume the current operation may invalidate (a write there), or -1. */
        long otherFirst = -1;
        long otherEnd = -1;
        long allowEnd = -1;
        boolean shootdown;

        long deadlocksSeen;
        long fallbacks;
        long mappedDirectOk;
        long invalidOps;

        Run(LockPolicy policy, boolean background, long seed, int ops) {
            this.policy = policy;
            this.background = background;
            this.seed = seed;
            this.ops = ops;
            this.rnd = new SplittableRandom(seed);
        }

        void execute() {
            opIndex = -1;
            try {
                setUp();
                for (opIndex = 0; opIndex < ops; opIndex++) {
                    allowFirst = -1;
                    allowEnd = -1;
                    shootdown = false;
                    otherFirst = -1;
                    otherEnd = -1;
                    step();
                    checkInvalidations();
                    checkMappedPages();
                    check(vol.size() == size, "volume size %d, model %d", vol.size(), size);
                    ensureMappingsFit();
                    if (opIndex % 10_000 == 9_999) {
                        fullCheck(opIndex % 50_000 == 49_999);
                    }
                }
                opIndex = ops;
                log("final check");
                finish();
                System.out.println("FsxModelTest seed=" + seed + " " + policy.label() + " background=" + background
                        + ": ok; EDEADLOCK " + deadlocksSeen + " (fallbacks " + fallbacks + "), mapped direct I/O ok "
                        + mappedDirectOk + ", invalid ops " + invalidOps);
            } catch (Throwable t) {
                StringBuilder sb = new StringBuilder();
                sb.append("FsxModelTest FAILED: seed=").append(seed).append(" policy=").append(policy.label())
                        .append(" backgroundThreads=").append(background).append(" at op #").append(opIndex)
                        .append(" (replay: -Dfsx.seed=").append(seed).append(")\n").append(t)
                        .append("\nlast ops (oldest first):\n");
                for (int i = 0; i < ring.length; i++) {
                    String s = ring[(int) ((ringPos + i) % ring.length)];
                    if (s != null) {
                        sb.append("  ").append(s).append('\n');
                    }
                }
                System.out.println(sb);
                throw new AssertionError(sb.toString(), t);
            } finally {
                if (engine != null) {
                    try {
                        engine.close();
                    } catch (Throwable ignored) {
                        // the failure that matters is already on its way
                    }
                }
            }
        }

        // ---------------------------------------------------------------- set-up and final checks

        void setUp() {
            EngineConfig ec = EngineConfig.withCache(CACHE).withBackgroundThreads(background);
            engine = new Engine(ec);
            // With background threads, reads and aligned writes from 32 KiB up that miss the cache
            // go around it (the streaming bypass); without, the bypass is off (MAX_IO is below
            // the default threshold), so both paths meet the same model.
            VolumeConfig vc = VolumeConfig.of("fsx").withLockPolicy(policy).withFaultAroundPages(FA)
                    .withReadaheadMaxPages(8).withBypassBytes(background ? BYPASS : 0);
            store = stores.apply(INIT_SIZE);
            // Start with some data, written straight into the store before the engine owns it.
            for (int i = 0; i < 64; i++) {
                int len = 1 + rnd.nextInt(MAX_IO);
                int off = rnd.nextInt(INIT_SIZE - len);
                byte[] d = TestSupport.random(rnd, len);
                store.write(off, ByteBuffer.wrap(d));
                System.arraycopy(d, 0, model, off, len);
            }
            vol = engine.open(vc, store, locks);
            for (int i = 0; i < h.length; i++) {
                h[i] = vol.open();
            }
            otherStore = TestStores.memory(OTHER_SIZE);
            other = engine.open(VolumeConfig.of("fsx-other").withLockPolicy(policy).withFaultAroundPages(FA), otherStore,
                    otherLocks);
            oh = other.open();
            omap = newMapping(oh, WINDOW, 2 * WINDOW, true, true);
            remap(0);
            remap(1);
        }

        void fullCheck(boolean alsoBuffered) {
            log("periodic full check (buffered=" + alsoBuffered + ")");
            h[0].flush();
            check(vol.dirtyPages() == 0, "dirty pages %d after flush", vol.dirtyPages());
            compareStore(store, model, size, "store after flush");
            if (alsoBuffered) {
                Handle fresh = vol.open();
                compareVolume(fresh, "buffered read of the whole volume");
                fresh.close();
            }
        }

        void finish() {
            h[0].flush();
            check(vol.dirtyPages() == 0, "dirty pages %d after final flush", vol.dirtyPages());
            Handle fresh = vol.open();
            compareVolume(fresh, "final read through a fresh handle");
            fresh.close();
            check(store.size() == size, "store size %d, model %d", store.size(), size);
            compareStore(store, model, size, "final backing store image");
            oh.flush();
            compareStore(otherStore, otherModel, OTHER_SIZE, "final image of the second volume");
            check(locks.deadlocks.get() == deadlocksSeen, "lock listener saw %d EDEADLOCK refusals, the test saw %d",
                    locks.deadlocks.get(), deadlocksSeen);
            check(locks.timeouts.get() == 0, "%d lock timeouts", locks.timeouts.get());
            check(otherLocks.deadlocks.get() == 0, "second volume reported EDEADLOCK");
            if (policy == LockPolicy.TWO_STATE) {
                check(mappedDirectOk > 0 || deadlocksSeen == 0 || ops < 10_000,
                        "no direct I/O through the other volume's mapping succeeded");
            }
            for (Handle x : h) {
                x.close();
            }
            vol.close();
            vol.close(); // idempotent
            expect(Errno.ESHUTDOWN, () -> h[0].read(0, ByteBuffer.allocate(1)));
            oh.close();
            other.close();
            if (store instanceof ArrayStore a) {
                check(a.isClosed(), "closing the volume must close its store");
            }
            check(engine.usedBytes() == 0, "usedBytes %d after closing every volume", engine.usedBytes());
            check(engine.dirtyBytes() == 0, "dirtyBytes %d after closing every volume", engine.dirtyBytes());
        }

        void compareVolume(Handle hd, String what) {
            for (long off = 0; off < size; off += MAX_IO) {
                int len = (int) Math.min(MAX_IO, size - off);
                ByteBuffer b = ByteBuffer.allocate(len);
                hd.read(off, b);
                compare(b.array(), 0, model, off, len, what);
            }
        }

        void compareStore(BackingStore s, byte[] m, long sz, String what) {
            byte[] all = new byte[(int) sz + PAGE];
            s.read(0, ByteBuffer.wrap(all));
            compare(all, 0, m, 0, (int) sz, what);
            for (int i = (int) sz; i < all.length; i++) {
                check(all[i] == 0, "%s: byte %d past the end (size %d) reads %d, not zero", what, i, sz, all[i]);
            }
        }

        // ---------------------------------------------------------------- the op mix

        void step() {
            int r = rnd.nextInt(1000);
            if (r < 150) {
                opRead();
            } else if (r < 200) {
                opSequentialRead();
            } else if (r < 330) {
                opWrite(rnd.nextInt(10) == 0);
            } else if (r < 390) {
                opReadDirect();
            } else if (r < 450) {
                opWriteDirect(rnd.nextInt(5) == 0);
            } else if (r < 490) {
                opMappedWriteDirect();
            } else if (r < 520) {
                opMappedReadDirect();
            } else if (r < 590) {
                opMapLoad();
            } else if (r < 650) {
                opMapStore();
            } else if (r < 720) {
                opFallocate();
            } else if (r < 735) {
                opTruncate();
            } else if (r < 785) {
                opFadvise();
            } else if (r < 805) {
                opFlush();
            } else if (r < 845) {
                opBlockStatus();
            } else if (r < 860) {
                log("writebackNow");
                engine.writebackNow();
            } else if (r < 880) {
                opOther();
            } else if (r < 883) {
                int i = rnd.nextInt(2);
                log("remap " + i);
                remap(i);
            } else if (r < 885) {
                opReopenHandle();
            } else if (r < 900) {
                opInvalid();
            } else if (r < 930) {
                opReadWithoutWaiting();
            } else if (r < 960) {
                opWriteIfCached();
            } else {
                opRead();
            }
        }

        /** The non-blocking read a front end tries on its event loop (cache hits and in-memory fills). */
        void opReadWithoutWaiting() {
            int hi = rnd.nextInt(h.length);
            int len = rnd.nextBoolean() ? randLen() : 1 + rnd.nextInt(2 * PAGE);
            long off = randOff(len);
            ByteBuffer b = buffer(len);
            int p = b.position();
            boolean hit = h[hi].fastPaths().readWithoutWaiting(off, b);
            log("readWithoutWaiting h%d %d+%d -> %s", hi, off, len, hit);
            if (hit) {
                checkRead(b, p, len, model, off, "cached read");
            } else {
                check(b.position() == p, "a refused cached read moved the buffer");
            }
        }

        /** The non-blocking cached write a front end tries on its event loop. */
        void opWriteIfCached() {
            int hi = rnd.nextInt(h.length);
            int len = rnd.nextBoolean() ? randLen() : 1 + rnd.nextInt(2 * PAGE);
            long off = randOff(len);
            byte[] data = TestSupport.random(rnd, len);
            ByteBuffer b = buffer(len);
            b.put(b.position(), data);
            int p = b.position();
            boolean done = h[hi].fastPaths().writeIfCached(off, b);
            log("writeIfCached h%d %d+%d -> %s", hi, off, len, done);
            if (done) {
                check(!b.hasRemaining(), "cached write left %d bytes in the buffer", b.remaining());
                System.arraycopy(data, 0, model, (int) off, len);
            } else {
                check(b.position() == p, "a refused cached write moved the buffer");
            }
        }

        void opRead() {
            int hi = rnd.nextInt(h.length);
            int len = randLen();
            long off = randOff(len);
            log("read h%d %d+%d", hi, off, len);
            ByteBuffer b = buffer(len);
            int p = b.position();
            h[hi].read(off, b);
            checkRead(b, p, len, model, off, "buffered read");
            seqPos[hi] = off + len;
        }

        void opSequentialRead() {
            int hi = rnd.nextInt(h.length);
            int len = rnd.nextBoolean() ? PAGE * (1 + rnd.nextInt(4)) : 1 + rnd.nextInt(3 * PAGE);
            long off = seqPos[hi];
            if (off + len > size) {
                off = 0;
            }
            log("seqread h%d %d+%d", hi, off, len);
            ByteBuffer b = buffer(len);
            int p = b.position();
            h[hi].read(off, b);
            checkRead(b, p, len, model, off, "sequential buffered read");
            seqPos[hi] = off + len;
        }

        void opWrite(boolean fua) {
            int hi = rnd.nextInt(h.length);
            int len = randLen();
            long off = randOff(len);
            byte[] data = TestSupport.random(rnd, len);
            log("write h%d %d+%d fua=%s", hi, off, len, fua);
            ByteBuffer b = buffer(len);
            b.put(b.position(), data);
            expectShootdown(off / PAGE, Math.ceilDiv(off + len, PAGE)); // mapped copies are recalled
            h[hi].write(off, b, fua);
            check(!b.hasRemaining(), "write left %d bytes in the buffer", b.remaining());
            System.arraycopy(data, 0, model, (int) off, len);
            if (fua) {
                checkStore(off, len, "FUA write");
            }
        }

        void opReadDirect() {
            int hi = rnd.nextInt(h.length);
            int len = randLen();
            long off = randOff(len);
            log("readDirect h%d %d+%d", hi, off, len);
            ByteBuffer b = buffer(len);
            int p = b.position();
            h[hi].readDirect(off, b);
            checkRead(b, p, len, model, off, "direct read");
            checkStore(off, len, "direct read (dirty pages must have been written back)");
        }

        void opWriteDirect(boolean fua) {
            int hi = rnd.nextInt(h.length);
            int len = randLen();
            long off = randOff(len);
            byte[] data = TestSupport.random(rnd, len);
            log("writeDirect h%d %d+%d fua=%s", hi, off, len, fua);
            expectShootdown(off / PAGE, Math.ceilDiv(off + len, PAGE));
            ByteBuffer b = buffer(len);
            b.put(b.position(), data);
            h[hi].writeDirect(off, b, fua);
            check(!b.hasRemaining(), "direct write left %d bytes in the buffer", b.remaining());
            System.arraycopy(data, 0, model, (int) off, len);
            checkStore(off, len, "direct write");
        }

        /** Whether a direct I/O of {@code [ioOff, ioOff+len)} with buffer {@code ms}@{@code bOff} must be refused. */
        boolean expectDeadlock(MapState ms, long bOff, int len, long ioOff) {
            if (ms.onOther) {
                return false;
            }
            if (policy == LockPolicy.TWO_STATE) {
                return true;
            }
            long b0 = ms.off + bOff;
            long bFirst = b0 / PAGE;
            long bEnd = Math.ceilDiv(b0 + len, PAGE);
            long wFirst = Math.floorDiv(bFirst, FA) * FA;
            long wEnd = Math.ceilDiv(bEnd, FA) * FA;
            long ioFirst = ioOff / PAGE;
            long ioEnd = Math.ceilDiv(ioOff + len, PAGE);
            return wFirst < ioEnd && ioFirst < wEnd;
        }

        long ioOffsetNear(MapState ms, long bOff, int len) {
            if (ms.onOther || rnd.nextBoolean()) {
                return randOff(len);
            }
            long c = ms.off + bOff + rnd.nextLong(-3 * WINDOW, 3 * WINDOW);
            if (rnd.nextBoolean()) {
                c = Math.floorDiv(c, PAGE) * PAGE;
            }
            return Math.max(0, Math.min(size - len, c));
        }

        void opMappedWriteDirect() {
            int k = rnd.nextInt(3);
            MapState src = k == 2 ? omap : maps[k];
            byte[] srcModel = src.onOther ? otherModel : model;
            int hi = rnd.nextInt(h.length);
            int len = 1 + rnd.nextInt((int) Math.min(src.len, 32 << 10));
            long bOff = rnd.nextLong(src.len - len + 1);
            long ioOff = ioOffsetNear(src, bOff, len);
            boolean fua = rnd.nextInt(4) == 0;
            boolean dl = expectDeadlock(src, bOff, len, ioOff);
            byte[] data = Arrays.copyOfRange(srcModel, (int) (src.off + bOff), (int) (src.off + bOff + len));
            log("writeDirect-from-mapping h%d io=%d+%d buf=map%d(%s@%d)+%d fua=%s expectDeadlock=%s", hi, ioOff, len,
                    src.id, src.onOther ? "other" : "same", src.off, bOff, fua, dl);
            if (!dl) {
                expectShootdown(ioOff / PAGE, Math.ceilDiv(ioOff + len, PAGE));
            }
            try {
                h[hi].writeDirect(ioOff, new MappedBuffer(src.m, bOff, len), fua);
                check(!dl, "direct write from a mapping succeeded where EDEADLOCK was due (%s)", policy);
                mappedDirectOk++;
                System.arraycopy(data, 0, model, (int) ioOff, len);
                checkStore(ioOff, len, "direct write from a mapping");
            } catch (ErrnoException e) {
                if (!dl || e.errno() != Errno.EDEADLOCK) {
                    throw e;
                }
                deadlocksSeen++;
                checkInvalidations(); // nothing may have been shot down
                checkRange(h[hi], ioOff, len, "target range after EDEADLOCK");
                // The client's fallback: the same bytes, buffered.
                byte[] got = TestSupport.read(src.m, bOff, len);
                compare(got, 0, data, 0, len, "fallback: mapping contents");
                expectShootdown(ioOff / PAGE, Math.ceilDiv(ioOff + len, PAGE)); // its buffered write recalls copies
                TestSupport.write(h[hi], ioOff, got, fua);
                fallbacks++;
                System.arraycopy(data, 0, model, (int) ioOff, len);
                if (fua) {
                    checkStore(ioOff, len, "fallback FUA write");
                }
            }
        }

        void opMappedReadDirect() {
            MapState dst = rnd.nextInt(3) == 0 ? omap : maps[0];
            byte[] dstModel = dst.onOther ? otherModel : model;
            int hi = rnd.nextInt(h.length);
            int len = 1 + rnd.nextInt((int) Math.min(dst.len, 32 << 10));
            long bOff = rnd.nextLong(dst.len - len + 1);
            long ioOff = ioOffsetNear(dst, bOff, len);
            boolean dl = expectDeadlock(dst, bOff, len, ioOff);
            byte[] data = Arrays.copyOfRange(model, (int) ioOff, (int) ioOff + len);
            log("readDirect-into-mapping h%d io=%d+%d buf=map%d(%s@%d)+%d expectDeadlock=%s", hi, ioOff, len, dst.id,
                    dst.onOther ? "other" : "same", dst.off, bOff, dl);
            if (!dl && !dst.onOther) { // storing into dst recalls the other mappings' copies
                expectShootdown((dst.off + bOff) / PAGE, Math.ceilDiv(dst.off + bOff + len, PAGE));
            }
            try {
                h[hi].readDirect(ioOff, new MappedBuffer(dst.m, bOff, len));
                check(!dl, "direct read into a mapping succeeded where EDEADLOCK was due (%s)", policy);
                mappedDirectOk++;
                checkStore(ioOff, len, "direct read into a mapping (dirty pages written back)");
                System.arraycopy(data, 0, dstModel, (int) (dst.off + bOff), len);
                compare(TestSupport.read(dst.m, bOff, len), 0, data, 0, len, "mapping after a direct read into it");
            } catch (ErrnoException e) {
                if (!dl || e.errno() != Errno.EDEADLOCK) {
                    throw e;
                }
                deadlocksSeen++;
                checkInvalidations();
                byte[] before = TestSupport.read(dst.m, bOff, len);
                compare(before, 0, dstModel, dst.off + bOff, len, "mapping after a refused direct read into it");
                byte[] got = TestSupport.read(h[hi], ioOff, len);
                compare(got, 0, data, 0, len, "fallback buffered read");
                if (!dst.onOther) {
                    expectShootdown((dst.off + bOff) / PAGE, Math.ceilDiv(dst.off + bOff + len, PAGE));
                }
                TestSupport.write(dst.m, bOff, got);
                fallbacks++;
                System.arraycopy(data, 0, dstModel, (int) (dst.off + bOff), len);
            }
        }

        void opMapLoad() {
            int k = rnd.nextInt(3);
            MapState ms = k == 2 ? omap : maps[k];
            int len = 1 + rnd.nextInt((int) Math.min(ms.len, 16 << 10));
            long mOff = rnd.nextLong(ms.len - len + 1);
            log("map-load map%d@%d %d+%d", ms.id, ms.off, mOff, len);
            ByteBuffer b = buffer(len);
            int p = b.position();
            ms.m.read(mOff, b);
            checkRead(b, p, len, ms.onOther ? otherModel : model, ms.off + mOff, "mapping load");
        }

        void opMapStore() {
            MapState ms = rnd.nextInt(3) == 0 ? omap : maps[0];
            int len = 1 + rnd.nextInt((int) Math.min(ms.len, 16 << 10));
            long mOff = rnd.nextLong(ms.len - len + 1);
            byte[] data = TestSupport.random(rnd, len);
            log("map-store map%d@%d %d+%d", ms.id, ms.off, mOff, len);
            ByteBuffer b = buffer(len);
            b.put(b.position(), data);
            expectShootdown((ms.off + mOff) / PAGE, Math.ceilDiv(ms.off + mOff + len, PAGE)); // other mappings' copies
            ms.m.write(mOff, b);
            check(!b.hasRemaining(), "mapping store left %d bytes", b.remaining());
            System.arraycopy(data, 0, ms.onOther ? otherModel : model, (int) (ms.off + mOff), len);
        }

        void opFallocate() {
            int r = rnd.nextInt(100);
            int hi = rnd.nextInt(h.length);
            if (r < 70) {
                FallocateMode mode = r < 30 ? FallocateMode.PUNCH_HOLE : r < 55 ? FallocateMode.ZERO_RANGE
                        : FallocateMode.ALLOCATE;
                int len = rnd.nextInt(4) == 0 ? 1 + rnd.nextInt(256 << 10) : randLen();
                len = (int) Math.min(len, size);
                long off = randOff(len);
                if (rnd.nextInt(3) == 0) {
                    off = off / PAGE * PAGE;
                }
                log("fallocate h%d %s %d+%d", hi, mode, off, len);
                expectShootdown(off / PAGE, Math.ceilDiv(off + len, PAGE));
                h[hi].fallocate(mode, off, len);
                if (mode != FallocateMode.ALLOCATE) {
                    Arrays.fill(model, (int) off, (int) off + len, (byte) 0);
                }
                if (rnd.nextInt(4) == 0) {
                    checkRange(h[rnd.nextInt(h.length)], off, (int) Math.min(len, 8 * PAGE), "after " + mode);
                }
            } else if (r < 85 && size - PAGE > MIN_SIZE) {
                long len = PAGE * (1L + rnd.nextInt(16));
                while (size - len < MIN_SIZE) {
                    len -= PAGE;
                }
                long off = PAGE * rnd.nextLong((size - len - 1) / PAGE + 1); // off + len < size
                log("fallocate h%d COLLAPSE_RANGE %d+%d (size %d)", hi, off, len, size);
                expectShootdown(off / PAGE, Long.MAX_VALUE);
                if (!reshapes) {
                    long o = off, l = len;
                    expect(Errno.ENOTSUP, () -> h[hi].fallocate(FallocateMode.COLLAPSE_RANGE, o, l));
                    return;
                }
                h[hi].fallocate(FallocateMode.COLLAPSE_RANGE, off, len);
                System.arraycopy(model, (int) (off + len), model, (int) off, (int) (size - off - len));
                Arrays.fill(model, (int) (size - len), (int) size, (byte) 0);
                size -= len;
                checkRange(h[rnd.nextInt(h.length)], off, (int) Math.min(2 * PAGE, size - off), "after collapse");
            } else if (size + PAGE <= MAX_SIZE) {
                long len = PAGE * (1L + rnd.nextInt(16));
                while (size + len > MAX_SIZE) {
                    len -= PAGE;
                }
                long off = PAGE * rnd.nextLong((size - 1) / PAGE + 1); // off < size
                log("fallocate h%d INSERT_RANGE %d+%d (size %d)", hi, off, len, size);
                expectShootdown(off / PAGE, Long.MAX_VALUE);
                if (!reshapes) {
                    long o = off, l = len;
                    expect(Errno.ENOTSUP, () -> h[hi].fallocate(FallocateMode.INSERT_RANGE, o, l));
                    return;
                }
                h[hi].fallocate(FallocateMode.INSERT_RANGE, off, len);
                System.arraycopy(model, (int) off, model, (int) (off + len), (int) (size - off));
                Arrays.fill(model, (int) off, (int) (off + len), (byte) 0);
                size += len;
                checkRange(h[rnd.nextInt(h.length)], off, (int) Math.min(len + 2 * PAGE, size - off), "after insert");
            } else {
                opRead();
            }
        }

        void opTruncate() {
            int hi = rnd.nextInt(h.length);
            long ns;
            if (rnd.nextBoolean()) {
                ns = size + rnd.nextLong(-(64 << 10), 64 << 10);
            } else {
                ns = rnd.nextLong(MIN_SIZE, MAX_SIZE + 1L);
            }
            if (rnd.nextBoolean()) {
                ns = ns / PAGE * PAGE;
            }
            ns = Math.max(MIN_SIZE, Math.min(MAX_SIZE, ns));
            long old = size;
            log("truncate h%d %d -> %d", hi, old, ns);
            expectShootdown(Math.min(ns, old) / PAGE, Long.MAX_VALUE);
            h[hi].truncate(ns);
            if (ns < old) {
                Arrays.fill(model, (int) ns, (int) old, (byte) 0);
            }
            size = ns;
            check(vol.size() == ns, "size %d after truncate to %d", vol.size(), ns);
            Handle any = h[rnd.nextInt(h.length)];
            if (ns < old) {
                int tail = (int) Math.min(ns, 2 * PAGE);
                checkRange(any, ns - tail, tail, "tail after shrinking");
                long end = ns;
                expect(Errno.EINVAL, () -> any.read(end, ByteBuffer.allocate(1)));
            } else if (ns > old) {
                checkRange(any, Math.max(0, old - 100), (int) Math.min(ns - Math.max(0, old - 100), 3 * PAGE),
                        "bytes past the old end after growing");
            }
        }

        void opFadvise() {
            Advice a = Advice.values()[rnd.nextInt(Advice.values().length)];
            int hi = rnd.nextInt(h.length);
            long off;
            long len;
            int r = rnd.nextInt(10);
            if (r < 3) {
                off = 0;
                len = 0;
            } else {
                off = rnd.nextLong(size);
                len = r < 5 ? 0 : Math.min(size - off, 1 + rnd.nextLong(1 << 20));
            }
            log("fadvise h%d %s %d+%d", hi, a, off, len);
            h[hi].fadvise(a, off, len);
            if (a == Advice.DONTNEED) {
                int l = (int) Math.min(size - off, 2 * PAGE);
                checkRange(h[rnd.nextInt(h.length)], off, l, "after DONTNEED");
            }
        }

        void opFlush() {
            int hi = rnd.nextInt(h.length);
            if (rnd.nextInt(3) == 0) {
                log("flush h%d", hi);
                h[hi].flush();
                check(vol.dirtyPages() == 0, "%d dirty pages right after a full flush", vol.dirtyPages());
            } else {
                int len = rnd.nextBoolean() ? randLen() : 1 + rnd.nextInt(512 << 10);
                len = (int) Math.min(len, size);
                long off = randOff(len);
                log("flush h%d %d+%d", hi, off, len);
                h[hi].flush(off, len);
                checkStore(off, len, "ranged flush");
            }
        }

        void opBlockStatus() {
            int hi = rnd.nextInt(h.length);
            long off = rnd.nextLong(size);
            long len = Math.min(size - off, 1 + rnd.nextLong(1 << 20));
            int max = 1 + rnd.nextInt(16);
            log("blockStatus h%d %d+%d max=%d", hi, off, len, max);
            List<Allocation> ex = h[hi].blockStatus(off, len, max);
            check(!ex.isEmpty(), "block status of %d+%d returned no extent", off, len);
            check(ex.size() <= max, "block status returned %d extents, max %d", ex.size(), max);
            long pos = off;
            for (Allocation e : ex) {
                check(e.offset() == pos, "extents not contiguous from %d: %s", off, ex);
                if (e.hole()) {
                    for (long b = e.offset(); b < e.end(); b++) {
                        if (model[(int) b] != 0) {
                            check(false, "block status reports hole %s but byte %d is %d", e, b, model[(int) b]);
                        }
                    }
                }
                pos = e.end();
            }
            check(pos <= off + len, "extents %s run past the range %d+%d", ex, off, len);
        }

        void opOther() {
            int len = 1 + rnd.nextInt(16 << 10);
            int off = rnd.nextInt(OTHER_SIZE - len + 1);
            if (rnd.nextBoolean()) {
                log("other: read %d+%d", off, len);
                compare(TestSupport.read(oh, off, len), 0, otherModel, off, len, "second volume read");
            } else {
                byte[] d = TestSupport.random(rnd, len);
                log("other: write %d+%d", off, len);
                otherFirst = off / PAGE; // its mapping's copies of these pages are recalled
                otherEnd = Math.ceilDiv(off + len, PAGE);
                TestSupport.write(oh, off, d, false);
                System.arraycopy(d, 0, otherModel, off, len);
            }
        }

        void opReopenHandle() {
            int i = 2 + rnd.nextInt(2);
            log("reopen h%d", i);
            Handle old = h[i];
            old.close();
            expect(Errno.ESHUTDOWN, () -> old.read(0, ByteBuffer.allocate(1)));
            old.close(); // idempotent
            h[i] = vol.open();
            seqPos[i] = 0;
            checkRange(h[i], randOff(PAGE), PAGE, "read through a reopened handle");
        }

        void opInvalid() {
            invalidOps++;
            Handle hd = h[rnd.nextInt(h.length)];
            int kind = rnd.nextInt(15);
            int len = 1 + rnd.nextInt(8 * PAGE);
            long crossing = size - rnd.nextLong(Math.min(len, size)); // off + len > size
            switch (kind) {
                case 0 -> {
                    log("INVALID read crossing the end %d+%d (size %d)", crossing, len, size);
                    expect(Errno.EINVAL, () -> hd.read(crossing, ByteBuffer.allocate(len)));
                }
                case 1 -> {
                    log("INVALID readDirect crossing the end %d+%d (size %d)", crossing, len, size);
                    expect(Errno.EINVAL, () -> hd.readDirect(crossing, ByteBuffer.allocate(len)));
                }
                case 2 -> {
                    log("INVALID write crossing the end %d+%d (size %d)", crossing, len, size);
                    expect(Errno.ENOSPC, () -> hd.write(crossing, ByteBuffer.wrap(TestSupport.filled(len, 0x5a)), false));
                }
                case 3 -> {
                    log("INVALID writeDirect crossing the end %d+%d (size %d)", crossing, len, size);
                    expect(Errno.ENOSPC, () -> hd.writeDirect(crossing, ByteBuffer.wrap(TestSupport.filled(len, 0x5a)), true));
                }
                case 4 -> {
                    log("INVALID negative offsets");
                    expect(Errno.EINVAL, () -> hd.read(-PAGE, ByteBuffer.allocate(len)));
                    expect(Errno.EINVAL, () -> hd.write(-1, ByteBuffer.allocate(len), false));
                    expect(Errno.EINVAL, () -> hd.writeDirect(-1, ByteBuffer.allocate(len), false));
                }
                case 5 -> {
                    FallocateMode m = rnd.nextBoolean() ? FallocateMode.PUNCH_HOLE : FallocateMode.ZERO_RANGE;
                    log("INVALID %s crossing the end %d+%d (size %d)", m, crossing, len, size);
                    expect(Errno.ENOSPC, () -> hd.fallocate(m, crossing, len));
                }
                case 6 -> {
                    long off = PAGE * rnd.nextLong(size / PAGE / 2) + 1 + rnd.nextInt(PAGE - 1);
                    log("INVALID unaligned COLLAPSE_RANGE %d+%d", off, PAGE);
                    expect(Errno.EINVAL, () -> hd.fallocate(FallocateMode.COLLAPSE_RANGE, off, PAGE));
                    expect(Errno.EINVAL, () -> hd.fallocate(FallocateMode.COLLAPSE_RANGE, 0, PAGE + 512));
                }
                case 7 -> {
                    long off = PAGE * rnd.nextLong((size - 1) / PAGE + 1);
                    long l = Math.ceilDiv(size - off, PAGE) * PAGE + PAGE * rnd.nextInt(2);
                    log("INVALID COLLAPSE_RANGE reaching the end %d+%d (size %d)", off, l, size);
                    expect(Errno.EINVAL, () -> hd.fallocate(FallocateMode.COLLAPSE_RANGE, off, l));
                }
                case 8 -> {
                    long off = Math.ceilDiv(size, PAGE) * PAGE + PAGE * rnd.nextInt(3);
                    log("INVALID INSERT_RANGE at %d (size %d)", off, size);
                    expect(Errno.EINVAL, () -> hd.fallocate(FallocateMode.INSERT_RANGE, off, PAGE));
                }
                case 9 -> {
                    log("INVALID INSERT_RANGE of unaligned length");
                    expect(Errno.EINVAL, () -> hd.fallocate(FallocateMode.INSERT_RANGE, 0, PAGE + 1));
                }
                case 10 -> {
                    long off = PAGE * rnd.nextLong(size / PAGE / 2) + 1 + rnd.nextInt(PAGE - 1);
                    log("INVALID map at unaligned %d", off);
                    expect(Errno.EINVAL, () -> hd.map(off, PAGE, false, InvalidationListener.NONE));
                }
                case 11 -> {
                    MapState ro = maps[1];
                    int l = 1 + rnd.nextInt((int) ro.len);
                    long mOff = rnd.nextLong(ro.len - l + 1);
                    log("INVALID store through read-only map%d %d+%d", ro.id, mOff, l);
                    expect(Errno.EPERM, () -> ro.m.write(mOff, ByteBuffer.wrap(TestSupport.filled(l, 0x77))));
                    compare(TestSupport.read(ro.m, mOff, l), 0, model, ro.off + mOff, l, "read-only mapping after EPERM");
                }
                case 12 -> {
                    log("INVALID truncate to -1");
                    expect(Errno.EINVAL, () -> hd.truncate(-1));
                }
                case 13 -> {
                    log("INVALID fallocate with negative length / negative offset");
                    expect(Errno.EINVAL, () -> hd.fallocate(FallocateMode.PUNCH_HOLE, 0, -PAGE));
                    expect(Errno.EINVAL, () -> hd.fallocate(FallocateMode.ZERO_RANGE, -PAGE, PAGE));
                }
                default -> {
                    log("INVALID fadvise / blockStatus with negative offset");
                    expect(Errno.EINVAL, () -> hd.fadvise(Advice.WILLNEED, -1, PAGE));
                    expect(Errno.EINVAL, () -> hd.blockStatus(-1, PAGE, 4));
                }
            }
            // Refused for its input: nothing changed.
            check(vol.size() == size, "size changed to %d by a refused operation (model %d)", vol.size(), size);
            long from = Math.max(0, Math.min(crossing, size) - PAGE);
            checkRange(hd, from, (int) Math.min(size - from, len + PAGE), "range next to a refused operation");
        }

        // ---------------------------------------------------------------- mappings

        MapState newMapping(Handle owner, long off, long len, boolean writable, boolean onOther) {
            int id = nextMapId++;
            Mapping m = owner.map(off, len, writable,
                    (mapping, first, end) -> {
                        invalidations.add(new long[] {id, first, end});
                        return Recall.DONE;
                    });
            return new MapState(id, m, off, len, writable, onOther);
        }

        void remap(int i) {
            if (maps[i] != null) {
                maps[i].m.close();
                maps[i].m.close(); // idempotent
            }
            long len = i == 0 ? WINDOW * (1 + rnd.nextInt(2)) : WINDOW;
            long off = WINDOW * rnd.nextLong((size - len) / WINDOW + 1);
            maps[i] = newMapping(h[i], off, len, i == 0, false);
            invalidations.clear(); // events of the closed mapping, if any, mean nothing now
        }

        void ensureMappingsFit() {
            for (int i = 0; i < maps.length; i++) {
                if (maps[i].off + maps[i].len > size) {
                    log("remap %d: it ended past the new size %d", i, size);
                    remap(i);
                }
            }
        }

        MapState byId(long id) {
            for (MapState ms : maps) {
                if (ms.id == id) {
                    return ms;
                }
            }
            return omap.id == id ? omap : null;
        }

        void expectShootdown(long first, long end) {
            shootdown = true;
            allowFirst = first;
            allowEnd = end;
        }

        void checkInvalidations() {
            for (long[] ev; (ev = invalidations.poll()) != null; ) {
                MapState ms = byId(ev[0]);
                if (ms == null) {
                    continue;
                }
                check(ev[1] < ev[2], "empty invalidation [%d,%d) of map%d", ev[1], ev[2], ev[0]);
                if (ms.onOther) {
                    check(ev[1] < otherEnd && otherFirst < ev[2], "the second volume's mapping was invalidated [%d,%d),"
                            + " outside the operation's pages there [%d,%d)", ev[1], ev[2], otherFirst, otherEnd);
                    continue;
                }
                check(allowFirst >= 0, "map%d pages [%d,%d) invalidated by an operation that shoots nothing down",
                        ev[0], ev[1], ev[2]);
                check(ev[1] < allowEnd && allowFirst < ev[2],
                        "map%d pages [%d,%d) invalidated, outside the operation's pages [%d,%d)", ev[0], ev[1], ev[2],
                        allowFirst, allowEnd);
                check(ev[1] >= ms.off / PAGE && ev[2] <= (ms.off + ms.len) / PAGE,
                        "map%d at %d+%d told pages [%d,%d) left it", ev[0], ms.off, ms.len, ev[1], ev[2]);
            }
        }

        void checkMappedPages() {
            for (MapState ms : new MapState[] {maps[0], maps[1], omap}) {
                long mp = ms.m.mappedPages();
                check(mp >= 0 && mp <= ms.len / PAGE, "map%d of %d pages has %d mapped", ms.id, ms.len / PAGE, mp);
                if (ms.onOther ? otherFirst < 0 : !shootdown) {
                    check(mp >= ms.lastMapped, "map%d lost mapped pages (%d -> %d) without a shoot-down", ms.id,
                            ms.lastMapped, mp);
                }
                ms.lastMapped = mp;
            }
        }

        // ---------------------------------------------------------------- checks and helpers

        int randLen() {
            int k = rnd.nextInt(100);
            if (k < 35) {
                return 1 + rnd.nextInt(512);
            } else if (k < 70) {
                return 1 + rnd.nextInt(16 << 10);
            } else if (k < 90) {
                return PAGE * (1 + rnd.nextInt(8));
            }
            return 1 + rnd.nextInt(MAX_IO);
        }

        long randOff(int len) {
            long off = rnd.nextLong(size - len + 1);
            if (rnd.nextInt(10) < 3) {
                off = off / PAGE * PAGE;
            }
            return off;
        }

        /** A heap or direct buffer whose position..limit window is {@code len} bytes, sometimes not at 0. */
        ByteBuffer buffer(int len) {
            int pre = rnd.nextInt(4) == 0 ? 1 + rnd.nextInt(63) : 0;
            int post = rnd.nextInt(4) == 0 ? 1 + rnd.nextInt(63) : 0;
            ByteBuffer b = rnd.nextInt(5) == 0 ? ByteBuffer.allocateDirect(pre + len + post)
                    : ByteBuffer.allocate(pre + len + post);
            b.limit(pre + len).position(pre);
            return b;
        }

        void checkRead(ByteBuffer b, int pos0, int len, byte[] m, long off, String what) {
            check(b.position() == pos0 + len, "%s: buffer position %d, expected %d", what, b.position(), pos0 + len);
            check(b.limit() == pos0 + len, "%s: buffer limit changed to %d", what, b.limit());
            byte[] got = new byte[len];
            b.get(pos0, got);
            compare(got, 0, m, off, len, what);
        }

        void checkRange(Handle hd, long off, int len, String what) {
            if (len <= 0) {
                return;
            }
            compare(TestSupport.read(hd, off, len), 0, model, off, len, what + " (buffered read " + off + "+" + len + ")");
        }

        void checkStore(long off, long len, String what) {
            byte[] got = TestSupport.readStore(store, off, (int) len);
            compare(got, 0, model, off, (int) len, "backing store after " + what);
        }

        void compare(byte[] got, int gotOff, byte[] expected, long expOff, int len, String what) {
            int mm = Arrays.mismatch(got, gotOff, gotOff + len, expected, (int) expOff, (int) expOff + len);
            if (mm >= 0) {
                long at = expOff + mm;
                int n = 1;
                while (mm + n < len && got[gotOff + mm + n] != expected[(int) at + n]) {
                    n++;
                }
                boolean zeros = true;
                for (int i = 0; i < n; i++) {
                    zeros &= got[gotOff + mm + i] == 0;
                }
                check(false, "%s: mismatch at volume byte %d (page %d, +%d in page): got %d, expected %d; %d differing"
                        + " bytes from there%s", what, at, at / PAGE, at % PAGE, got[gotOff + mm],
                        expected[(int) at], n, zeros ? " (all zero: lost data?)" : "");
            }
        }

        void expect(Errno errno, Runnable r) {
            try {
                r.run();
            } catch (ErrnoException e) {
                check(e.errno() == errno, "expected %s, got %s", errno, e.getMessage());
                return;
            }
            check(false, "expected %s, but the operation succeeded", errno);
        }

        void check(boolean ok, String fmt, Object... args) {
            if (!ok) {
                throw new AssertionError(String.format(fmt, args));
            }
        }

        void log(String fmt, Object... args) {
            ring[(int) (ringPos++ % ring.length)] = "#" + opIndex + " "
                    + (args.length == 0 ? fmt : String.format(fmt, args));
        }
    }
}
