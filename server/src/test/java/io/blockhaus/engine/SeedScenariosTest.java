package io.blockhaus.engine;

import static io.blockhaus.engine.TestSupport.PAGE;
import static io.blockhaus.engine.TestSupport.awaitCondition;
import static io.blockhaus.engine.TestSupport.expectErrno;
import static io.blockhaus.engine.TestSupport.read;
import static io.blockhaus.engine.TestSupport.readDirect;
import static io.blockhaus.engine.TestSupport.readStore;
import static io.blockhaus.engine.TestSupport.write;
import static io.blockhaus.engine.TestSupport.writeDirect;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.blockhaus.engine.TestSupport.CountingLockListener;
import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.lock.LockMode;
import io.blockhaus.engine.lock.LockPolicy;
import io.blockhaus.engine.store.BackingStore;
import io.blockhaus.testing.ChildJvm;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The scenarios of the seed thread (seed/000_f4c302db4bdff982.txt), one test each, under both lock
 * policies where the policy matters. Seeds are printed; {@code -Dscenario.seed=N} replays the data.
 */
class SeedScenariosTest {
    static final Duration BOUND = Duration.ofSeconds(20);
    static final long LATENCY_BOUND_NANOS = TimeUnit.SECONDS.toNanos(5);

    static long seed(String test) {
        long s = TestSupport.seed("scenario.seed");
        System.out.println("SeedScenariosTest." + test + " seed=" + s + " (replay: -Dscenario.seed=" + s + ")");
        return s;
    }

    static VolumeConfig config(String name, LockPolicy policy) {
        return VolumeConfig.of(name).withLockPolicy(policy).withLockTimeout(Duration.ofSeconds(30));
    }

    /** Starts a named daemon thread that records its failure instead of dying silently. */
    static Thread start(String name, AtomicReference<Throwable> error, Runnable body) {
        Thread t = new Thread(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                error.compareAndSet(null, new AssertionError(name + " failed: " + e, e));
            }
        }, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    static void joinAll(List<Thread> threads, AtomicReference<Throwable> error) throws InterruptedException {
        for (Thread t : threads) {
            t.join(BOUND.toMillis());
            assertThat(t.isAlive()).as("%s still running %s after being told to stop", t.getName(), BOUND).isFalse();
        }
        if (error.get() != null) {
            throw new AssertionError(error.get());
        }
    }

    static byte[] stamp(long version, int len) {
        ByteBuffer b = ByteBuffer.allocate(len);
        while (b.remaining() >= 8) {
            b.putLong(version);
        }
        return b.array();
    }

    // ------------------------------------------------------------------------------------------ (a)

    /**
     * Seed: "a process continuously redirtying a page is going to make truncate/dio operations spin".
     * A buffered writer re-dirties the first half of page P without pause; direct writes target the
     * second half of P and the next page, and truncates cut P in its second half. Every direct write
     * and truncate must finish (bounded), and the bytes they wrote or cut must never be overwritten by
     * a stale copy of page P (write-and-invalidate, rule 3). The writer's own half ends as its last
     * completed write.
     */
    @ParameterizedTest
    @EnumSource(LockPolicy.class)
    @DisplayName("(a) a re-dirtying buffered writer cannot stall or corrupt direct writes and truncate")
    void redirtyingWriterDoesNotStallDirectWriteOrTruncate(LockPolicy policy) {
        long seed = seed("a");
        assertTimeoutPreemptively(BOUND, () -> {
            SplittableRandom rnd = new SplittableRandom(seed);
            long size = 1 << 20;
            BackingStore store = TestStores.memory(size);
            try (Engine engine = new Engine(EngineConfig.withCache(1 << 20))) {
                Volume vol = engine.open(config("redirty", policy), store);
                long pOff = 100L * PAGE;
                Handle wh = vol.open();
                Handle dh = vol.open();
                Handle rh = vol.open();
                AtomicBoolean stop = new AtomicBoolean();
                AtomicLong lastDone = new AtomicLong();
                AtomicReference<Throwable> error = new AtomicReference<>();
                Thread writer = start("redirtier", error, () -> {
                    for (long v = 1; !stop.get(); v++) {
                        write(wh, pOff, stamp(v, PAGE / 2), false);
                        lastDone.set(v);
                    }
                });
                awaitCondition(() -> lastDone.get() > 10 || error.get() != null, BOUND, "the writer to start");
                for (int i = 0; i < 60 && error.get() == null; i++) {
                    long doneBefore = lastDone.get();
                    byte[] d = TestSupport.random(rnd, PAGE / 2 + PAGE);
                    writeDirect(dh, pOff + PAGE / 2, d, i % 3 == 0);
                    assertThat(read(rh, pOff + PAGE / 2, d.length)).as("buffered read right after direct write #%d", i)
                            .isEqualTo(d);
                    if (i % 2 == 0) {
                        assertThat(readDirect(rh, pOff + PAGE / 2, d.length)).as("direct read after direct write #%d", i)
                                .isEqualTo(d);
                    }
                    if (i % 10 == 9) {
                        long cut = pOff + 3000;
                        dh.truncate(cut);
                        assertThat(vol.size()).isEqualTo(cut);
                        expectErrno(Errno.EINVAL, () -> rh.read(cut, ByteBuffer.allocate(1)));
                        assertThat(read(rh, pOff + PAGE / 2, (int) (cut - pOff - PAGE / 2)))
                                .as("bytes below the cut").isEqualTo(Arrays.copyOf(d, (int) (cut - pOff - PAGE / 2)));
                        dh.truncate(size);
                        assertThat(TestSupport.isZero(read(rh, cut, (int) (2 * PAGE + pOff - cut))))
                                .as("bytes cut by truncate read as zero after growing back (cycle %d)", i).isTrue();
                    }
                    awaitCondition(() -> lastDone.get() > doneBefore || error.get() != null, BOUND,
                            "the re-dirtying writer to make progress");
                }
                byte[] fin = TestSupport.random(rnd, PAGE / 2 + PAGE);
                writeDirect(dh, pOff + PAGE / 2, fin, false);
                stop.set(true);
                joinAll(List.of(writer), error);
                assertThat(lastDone.get()).as("writer progress").isGreaterThan(10);
                assertThat(read(rh, pOff, PAGE / 2)).as("writer's half = its last completed write")
                        .isEqualTo(stamp(lastDone.get(), PAGE / 2));
                assertThat(read(rh, pOff + PAGE / 2, fin.length)).as("direct-written bytes").isEqualTo(fin);
                rh.flush();
                assertThat(vol.dirtyPages()).isZero();
                assertThat(readStore(store, pOff + PAGE / 2, fin.length)).as("store after flush").isEqualTo(fin);
                assertThat(readStore(store, pOff, PAGE / 2)).isEqualTo(stamp(lastDone.get(), PAGE / 2));
                vol.close();
            }
        });
    }

    // ------------------------------------------------------------------------------------------ (b)

    /**
     * Seed: "readahead can race with hole punching". Sequential readers (readahead) and a WILLNEED
     * loop run while chunks are punched one by one (with unaligned edges). Once a punch has returned,
     * no reader that starts afterwards may see anything but zeroes there; bytes outside punched
     * ranges always read as the original data.
     */
    @ParameterizedTest
    @EnumSource(LockPolicy.class)
    @DisplayName("(b) readahead and WILLNEED racing punch hole never resurrect punched data")
    void readaheadAndWillneedRacingPunchNeverResurrectOldData(LockPolicy policy) {
        long seed = seed("b");
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            SplittableRandom rnd = new SplittableRandom(seed);
            int size = 2 << 20;
            int chunk = 64 << 10;
            int chunks = size / chunk;
            byte[] original = TestSupport.random(rnd, size);
            BackingStore store = TestStores.memory(size);
            store.write(0, ByteBuffer.wrap(original));
            int[] lo = new int[chunks];
            int[] hi = new int[chunks];
            int[] edges = {0, 100, 2048, PAGE};
            for (int c = 0; c < chunks; c++) {
                lo[c] = c * chunk + edges[rnd.nextInt(edges.length)];
                hi[c] = (c + 1) * chunk - edges[rnd.nextInt(edges.length)];
            }
            AtomicIntegerArray punched = new AtomicIntegerArray(chunks);
            try (Engine engine = new Engine(EngineConfig.withCache(256 << 10))) {
                Volume vol = engine.open(config("ra-punch", policy).withReadaheadMaxPages(16), store);
                AtomicBoolean stop = new AtomicBoolean();
                AtomicReference<Throwable> error = new AtomicReference<>();
                AtomicLongArray progress = new AtomicLongArray(3);
                List<Thread> threads = new ArrayList<>();
                for (int r = 0; r < 2; r++) {
                    int id = r;
                    Handle h = vol.open();
                    h.fadvise(Advice.SEQUENTIAL, 0, 0);
                    threads.add(start("seq-reader-" + r, error, () -> {
                        int step = 16 << 10;
                        while (!stop.get()) {
                            for (int off = 0; off < size && !stop.get(); off += step) {
                                int c = off / chunk;
                                boolean punchedBefore = punched.get(c) == 1;
                                byte[] got = read(h, off, step);
                                for (int i = 0; i < step; i++) {
                                    int b = off + i;
                                    boolean inPunch = b >= lo[c] && b < hi[c];
                                    if (!inPunch && got[i] != original[b]) {
                                        fail("byte " + b + " outside every punch reads " + got[i] + ", not " + original[b]);
                                    }
                                    if (inPunch && got[i] != 0 && (punchedBefore || got[i] != original[b])) {
                                        fail("byte " + b + " in chunk " + c + (punchedBefore ? " punched before the read" : "")
                                                + " reads " + got[i] + " (original " + original[b] + ")");
                                    }
                                }
                                progress.incrementAndGet(id);
                            }
                        }
                    }));
                }
                Handle wn = vol.open();
                SplittableRandom wrnd = rnd.split();
                threads.add(start("willneed", error, () -> {
                    while (!stop.get()) {
                        if (wrnd.nextInt(8) == 0) {
                            wn.fadvise(Advice.WILLNEED, 0, 0);
                        } else {
                            long off = wrnd.nextLong(size - chunk);
                            wn.fadvise(Advice.WILLNEED, off, chunk + wrnd.nextLong(Math.min(size - off - chunk, 4L * chunk) + 1));
                        }
                        progress.incrementAndGet(2);
                    }
                }));
                awaitCondition(() -> progress.get(0) > 4 && progress.get(1) > 4 && progress.get(2) > 4
                        || error.get() != null, BOUND, "readers to start");
                Handle ph = vol.open();
                Handle check = vol.open();
                int[] order = rnd.ints(0, chunks).distinct().limit(chunks).toArray();
                for (int c : order) {
                    if (error.get() != null) {
                        break;
                    }
                    ph.fallocate(FallocateMode.PUNCH_HOLE, lo[c], hi[c] - lo[c]);
                    punched.set(c, 1);
                    assertThat(TestSupport.isZero(read(check, lo[c], hi[c] - lo[c])))
                            .as("chunk %d reads zero right after its punch returned", c).isTrue();
                    long p0 = progress.get(0) + progress.get(1);
                    awaitCondition(() -> progress.get(0) + progress.get(1) > p0 + 2 || error.get() != null, BOUND,
                            "readers to keep reading");
                }
                stop.set(true);
                joinAll(threads, error);
                byte[] expected = original.clone();
                for (int c = 0; c < chunks; c++) {
                    Arrays.fill(expected, lo[c], hi[c], (byte) 0);
                }
                Handle fin = vol.open();
                assertThat(Arrays.equals(read(fin, 0, size), expected)).as("final image").isTrue();
                fin.flush();
                assertThat(Arrays.equals(readStore(store, 0, size), expected)).as("store image after flush").isTrue();
                vol.close();
            }
        });
    }

    // ------------------------------------------------------------------------------------------ (c)

    record MapCase(String name, long bufOff, int len, long ioOff, boolean deadlockUnderRange) {
    }

    /**
     * Seed: "returning EDEADLOCK for any IO where the buffer is in the same address space as the
     * file" (two-state) versus "for a range lock, we'd be able to do the IO for non-overlapping
     * ranges" — where the overlap includes "readahead [that] can pull in pages that do overlap with
     * the dio" (range, via the fault-around window). Fault-around is 16 pages (64 KiB windows).
     */
    @ParameterizedTest
    @EnumSource(LockPolicy.class)
    @DisplayName("(c) direct I/O from a mapping of the same volume: EDEADLOCK by policy, nothing changed")
    void directIoFromMappingOfTheSameVolume(LockPolicy policy) {
        long seed = seed("c");
        SplittableRandom rnd = new SplittableRandom(seed);
        int size = 1 << 20;
        int fa = 16;
        long window = (long) fa * PAGE;
        List<MapCase> cases = List.of(
                // buffer page 0 (window pages [0,16)), I/O far outside the mapping: only two-state refuses
                new MapCase("disjoint", 0, PAGE, 768 << 10, false),
                // buffer and I/O share pages 40-41
                new MapCase("overlapping pages", 40L * PAGE, PAGE, 40L * PAGE + 100, true),
                // buffer page 33, I/O page 46: disjoint pages, same aligned window [32,48)
                new MapCase("fault-around window only", 33L * PAGE, PAGE, 46L * PAGE, true),
                // buffer page 33, I/O page 48: the first page past the window
                new MapCase("just past the window", 33L * PAGE, PAGE, 48L * PAGE, false),
                // unaligned buffer ending inside page 34, I/O starting in page 47 (window [32,48))
                new MapCase("unaligned, window edge", 33L * PAGE + 1000, PAGE, 47L * PAGE + 4000, true));
        BackingStore store = TestStores.memory(size);
        store.write(0, ByteBuffer.wrap(TestSupport.random(rnd, size)));
        CountingLockListener locks = new CountingLockListener();
        ConcurrentLinkedQueue<long[]> events = new ConcurrentLinkedQueue<>();
        try (Engine engine = new Engine(EngineConfig.withCache(4 << 20))) {
            Volume vol = engine.open(config("dio-map", policy).withFaultAroundPages(fa), store, locks);
            Handle h = vol.open();
            Mapping m = h.map(0, 512 << 10, true, (mp, first, end) -> {
                events.add(new long[] {first, end});
                return Recall.DONE;
            });
            assertThat(window).isEqualTo(64 << 10);
            for (MapCase c : cases) {
                boolean dl = policy == LockPolicy.TWO_STATE || c.deadlockUnderRange();
                for (boolean isWrite : new boolean[] {true, false}) {
                    String what = c.name() + (isWrite ? " (direct write from the mapping)" : " (direct read into the mapping)");
                    // Fresh, distinct contents in the buffer and the target.
                    write(m, c.bufOff(), TestSupport.random(rnd, c.len()));
                    write(h, c.ioOff(), TestSupport.random(rnd, c.len()), false);
                    byte[] buf = read(m, c.bufOff(), c.len());
                    byte[] target = read(h, c.ioOff(), c.len());
                    long mappedBefore = m.mappedPages();
                    long deadlocksBefore = locks.deadlocks.get();
                    long sizeBefore = vol.size();
                    events.clear();
                    MappedBuffer mb = new MappedBuffer(m, c.bufOff(), c.len());
                    if (dl) {
                        expectErrno(Errno.EDEADLOCK, isWrite ? () -> h.writeDirect(c.ioOff(), mb, false)
                                : () -> h.readDirect(c.ioOff(), mb));
                        assertThat(locks.deadlocks.get()).as("%s: listener saw the EDEADLOCK refusal", what)
                                .isEqualTo(deadlocksBefore + 1);
                        assertThat(read(h, c.ioOff(), c.len())).as("%s: target unchanged", what).isEqualTo(target);
                        assertThat(read(m, c.bufOff(), c.len())).as("%s: buffer unchanged", what).isEqualTo(buf);
                        assertThat(events).as("%s: nothing shot down", what).isEmpty();
                        assertThat(m.mappedPages()).as("%s: mapping untouched", what).isEqualTo(mappedBefore);
                        assertThat(vol.size()).isEqualTo(sizeBefore);
                    } else {
                        if (isWrite) {
                            h.writeDirect(c.ioOff(), mb, false);
                            assertThat(read(h, c.ioOff(), c.len())).as("%s: target holds the buffer", what).isEqualTo(buf);
                            assertThat(readStore(store, c.ioOff(), c.len())).as("%s: in the store", what).isEqualTo(buf);
                        } else {
                            h.readDirect(c.ioOff(), mb);
                            assertThat(read(m, c.bufOff(), c.len())).as("%s: buffer holds the target", what)
                                    .isEqualTo(target);
                            assertThat(read(h, c.bufOff(), c.len())).as("%s: coherent through buffered reads", what)
                                    .isEqualTo(target);
                        }
                        assertThat(locks.deadlocks.get()).isEqualTo(deadlocksBefore);
                    }
                }
            }
            vol.close();
        }
    }

    // ------------------------------------------------------------------------------------------ (d)

    /**
     * After EDEADLOCK the client library retries as buffered I/O (DESIGN.md rule 2, the behaviour
     * generic/647 and generic/729 expect): the application's call succeeds and the data is exactly
     * what a direct I/O would have produced, seen coherently through buffered reads, direct reads,
     * the mapping itself and, after a flush, the store.
     */
    @ParameterizedTest
    @EnumSource(LockPolicy.class)
    @DisplayName("(d) the client's buffered fallback after EDEADLOCK leaves the right data")
    void clientFallbackAfterEdeadlockLeavesTheRightData(LockPolicy policy) {
        long seed = seed("d");
        SplittableRandom rnd = new SplittableRandom(seed);
        int size = 1 << 20;
        BackingStore store = TestStores.memory(size);
        byte[] model = TestSupport.random(rnd, size);
        store.write(0, ByteBuffer.wrap(model));
        try (Engine engine = new Engine(EngineConfig.withCache(4 << 20))) {
            Volume vol = engine.open(config("fallback", policy), store);
            Handle h = vol.open();
            Mapping m = h.map(0, 256 << 10, true, InvalidationListener.NONE);

            // 1. Overlapping direct write from the mapping: EDEADLOCK under both policies.
            long bufOff = 2L * PAGE + 100;
            int len = 6000;
            long ioOff = 3L * PAGE + 50; // overlaps the buffer's bytes
            byte[] data = Arrays.copyOfRange(model, (int) bufOff, (int) bufOff + len);
            assertThat(TestSupport.writeDirectWithFallback(h, ioOff, new MappedBuffer(m, bufOff, len), false))
                    .as("overlapping direct write falls back").isTrue();
            System.arraycopy(data, 0, model, (int) ioOff, len);
            assertThat(read(h, ioOff, len)).as("buffered read after fallback write").isEqualTo(data);
            assertThat(readDirect(h, ioOff, len)).as("direct read after fallback write").isEqualTo(data);
            assertThat(read(m, ioOff, len)).as("mapping sees the fallback write").isEqualTo(data);

            // 2. Overlapping direct read into the mapping (same fault-around window): EDEADLOCK under both.
            long dstOff = 10L * PAGE + 7;
            long srcOff = 12L * PAGE + 300;
            int len2 = 5000;
            byte[] src = Arrays.copyOfRange(model, (int) srcOff, (int) srcOff + len2);
            assertThat(TestSupport.readDirectWithFallback(h, srcOff, new MappedBuffer(m, dstOff, len2)))
                    .as("overlapping direct read falls back").isTrue();
            System.arraycopy(src, 0, model, (int) dstOff, len2);
            assertThat(read(m, dstOff, len2)).as("mapping after fallback read").isEqualTo(src);
            assertThat(read(h, dstOff, len2)).as("buffered view of the mapping's pages").isEqualTo(src);

            // 3. Disjoint (far outside the window): only two-state falls back; same data either way.
            long far = 900L * 1024;
            byte[] fromMap = Arrays.copyOfRange(model, PAGE * 40, PAGE * 40 + 3 * PAGE);
            boolean fellBack = TestSupport.writeDirectWithFallback(h, far, new MappedBuffer(m, PAGE * 40L, 3 * PAGE), true);
            assertThat(fellBack).as("fallback needed only under two-state").isEqualTo(policy == LockPolicy.TWO_STATE);
            System.arraycopy(fromMap, 0, model, (int) far, fromMap.length);
            assertThat(readStore(store, far, fromMap.length)).as("FUA data is in the store").isEqualTo(fromMap);

            h.flush();
            assertThat(Arrays.equals(read(h, 0, size), model)).as("whole volume").isTrue();
            assertThat(Arrays.equals(readStore(store, 0, size), model)).as("store after flush").isTrue();
            vol.close();
        }
    }

    // ------------------------------------------------------------------------------------------ (e)

    /**
     * DONTNEED writes back and drops clean, unmapped pages; it never drops a dirty page (its data
     * would be lost) nor a mapped one. Dirty pages it wrote back may go (they are clean then), so the
     * check is: every page dirty before is either still dirty or has its data in the store.
     */
    @ParameterizedTest
    @EnumSource(LockPolicy.class)
    @DisplayName("(e) DONTNEED never drops a dirty or mapped page")
    void dontneedNeverDropsDirtyOrMappedPages(LockPolicy policy) throws Exception {
        long seed = seed("e");
        SplittableRandom rnd = new SplittableRandom(seed);
        int size = 1 << 20;
        BackingStore store = TestStores.memory(size);
        byte[] original = TestSupport.random(rnd, size);
        store.write(0, ByteBuffer.wrap(original));
        try (Engine engine = new Engine(EngineConfig.withCache(1 << 20).withBackgroundThreads(false))) {
            Volume vol = engine.open(config("dontneed", policy), store);
            Handle h = vol.open();
            h.fadvise(Advice.RANDOM, 0, 0); // no readahead: the page counts below are exact
            byte[] dirty = TestSupport.random(rnd, 8 * PAGE);
            write(h, 0, dirty, false); // pages 0-7 dirty, not mapped
            Mapping m = h.map(64L * PAGE, 8L * PAGE, true, InvalidationListener.NONE);
            byte[] mappedDirty = TestSupport.random(rnd, 4 * PAGE);
            write(m, 0, mappedDirty); // pages 64-67 dirty and mapped
            assertThat(read(m, 4L * PAGE, 4 * PAGE)).isEqualTo(Arrays.copyOfRange(original, 68 * PAGE, 72 * PAGE));
            assertThat(m.mappedPages()).as("all 8 mapped pages faulted in").isEqualTo(8);
            assertThat(read(h, 128L * PAGE, 8 * PAGE)).isEqualTo(Arrays.copyOfRange(original, 128 * PAGE, 136 * PAGE));
            long cachedBefore = vol.cachedPages();
            long dirtyBefore = vol.dirtyPages();
            assertThat(dirtyBefore).isEqualTo(12);
            assertThat(cachedBefore).isGreaterThanOrEqualTo(24);

            h.fadvise(Advice.DONTNEED, 0, 0);

            assertThat(m.mappedPages()).as("mapped pages stay").isEqualTo(8);
            assertThat(vol.cachedPages()).as("the 8 clean unmapped pages are dropped")
                    .isLessThanOrEqualTo(cachedBefore - 8);
            assertThat(vol.cachedPages()).as("mapped pages are still cached").isGreaterThanOrEqualTo(8);
            long writtenBack = 0;
            for (int p = 0; p < 8; p++) {
                if (Arrays.equals(readStore(store, (long) p * PAGE, PAGE), Arrays.copyOfRange(dirty, p * PAGE, (p + 1) * PAGE))) {
                    writtenBack++;
                }
            }
            for (int p = 0; p < 4; p++) {
                if (Arrays.equals(readStore(store, (64L + p) * PAGE, PAGE),
                        Arrays.copyOfRange(mappedDirty, p * PAGE, (p + 1) * PAGE))) {
                    writtenBack++;
                }
            }
            assertThat(vol.dirtyPages() + writtenBack).as("every dirty page is still dirty or written back")
                    .isGreaterThanOrEqualTo(12);
            assertThat(read(h, 0, 8 * PAGE)).isEqualTo(dirty);
            assertThat(read(m, 0, 4 * PAGE)).isEqualTo(mappedDirty);
            assertThat(read(h, 128L * PAGE, 8 * PAGE)).isEqualTo(Arrays.copyOfRange(original, 128 * PAGE, 136 * PAGE));

            // Racing: writers keep dirtying pages (buffered and through the mapping) while DONTNEED loops.
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<Throwable> error = new AtomicReference<>();
            AtomicLong bufVersion = new AtomicLong();
            AtomicLong mapVersion = new AtomicLong();
            AtomicLong dontneeds = new AtomicLong();
            Handle wh = vol.open();
            Handle dh = vol.open();
            List<Thread> threads = List.of(
                    start("buffered-dirtier", error, () -> {
                        for (long v = 1; !stop.get(); v++) {
                            write(wh, 16L * PAGE, stamp(v, 4 * PAGE), false);
                            bufVersion.set(v);
                        }
                    }),
                    start("mapping-dirtier", error, () -> {
                        for (long v = 1; !stop.get(); v++) {
                            write(m, 2L * PAGE, stamp(v, 2 * PAGE));
                            mapVersion.set(v);
                        }
                    }),
                    start("dontneed", error, () -> {
                        while (!stop.get()) {
                            dh.fadvise(Advice.DONTNEED, 0, 0);
                            dontneeds.incrementAndGet();
                            if (dontneeds.get() % 16 == 0) {
                                engine.writebackNow();
                            }
                        }
                    }));
            awaitCondition(() -> bufVersion.get() >= 500 && mapVersion.get() >= 500 && dontneeds.get() >= 200
                    || error.get() != null, BOUND, "the race to run (500 writes each, 200 DONTNEEDs)");
            stop.set(true);
            joinAll(threads, error);
            assertThat(bufVersion.get()).isPositive();
            assertThat(mapVersion.get()).isPositive();
            assertThat(dontneeds.get()).isPositive();
            assertThat(read(h, 16L * PAGE, 4 * PAGE)).as("last buffered write survives DONTNEED")
                    .isEqualTo(stamp(bufVersion.get(), 4 * PAGE));
            assertThat(read(m, 2L * PAGE, 2 * PAGE)).as("last mapping store survives DONTNEED")
                    .isEqualTo(stamp(mapVersion.get(), 2 * PAGE));
            h.flush();
            assertThat(readStore(store, 16L * PAGE, 4 * PAGE)).isEqualTo(stamp(bufVersion.get(), 4 * PAGE));
            assertThat(readStore(store, 66L * PAGE, 2 * PAGE)).isEqualTo(stamp(mapVersion.get(), 2 * PAGE));
            assertThat(m.mappedPages()).as("racing DONTNEED left the mapping alone").isEqualTo(8);
            vol.close();
        }
    }

    // ------------------------------------------------------------------------------------------ (f)

    /**
     * "No acknowledged, flushed write is ever lost": a child JVM writes a seed-derived image with
     * buffered writes, flushes, says so, and keeps writing (unflushed, elsewhere) until it is killed
     * with SIGKILL. Every flushed byte must be in the file.
     */
    @Test
    @DisplayName("(f) flush, then SIGKILL of the server process, loses no flushed byte")
    void flushThenSigkillLosesNoFlushedByte(@TempDir Path dir) throws Exception {
        long seed = seed("f");
        long size = 4 << 20;
        Path file = dir.resolve("volume.img");
        try (ChildJvm child = ChildJvm.start(dir, List.of("--enable-native-access=ALL-UNNAMED", "-Xmx256m"),
                FlushThenKillChild.class, file.toString(), Long.toString(size), Long.toString(seed))) {
            child.expectLine("FLUSHED " + seed);
            // SIGKILL: no shutdown hooks, no close, no final flush
            assertThat(child.kill()).as("child died").isTrue();
        }
        byte[] expected = FlushThenKillChild.expectedFirstHalf(seed, size);
        try (BackingStore store = TestStores.openFile(file)) {
            assertThat(store.size()).isEqualTo(size);
            byte[] got = readStore(store, 0, expected.length);
            int mm = Arrays.mismatch(got, expected);
            assertThat(mm).as("first flushed byte lost (offset, -1 = none)").isEqualTo(-1);
        }
        // And through the engine, as a restarted server would see it.
        try (Engine engine = new Engine(EngineConfig.withCache(1 << 20))) {
            Volume vol = engine.open(VolumeConfig.of("reopened"), TestStores.openFile(file));
            Handle h = vol.open();
            assertThat(Arrays.equals(read(h, 0, expected.length), expected)).as("flushed half via the engine").isTrue();
            vol.close();
        }
    }

    // ------------------------------------------------------------------------------------------ (g)

    /**
     * Fairness (rule 1), ADD side busy: threads loop on buffered misses (4 KiB reads of random pages
     * of 1 MiB through a 256 KiB cache, RANDOM advice) while direct writes of that whole MiB keep
     * arriving. Each direct write gets in within the bound, and the loopers keep going after it.
     */
    @ParameterizedTest
    @EnumSource(LockPolicy.class)
    @DisplayName("(g) a stream of buffered misses cannot starve a direct write")
    void bufferedMissesDoNotStarveDirectWrite(LockPolicy policy) {
        long seed = seed("g-add");
        assertTimeoutPreemptively(Duration.ofSeconds(90), () -> {
            int span = 1 << 20;
            CountingLockListener locks = new CountingLockListener();
            try (Engine engine = new Engine(EngineConfig.withCache(256 << 10))) {
                Volume vol = engine.open(config("fair-add", policy), TestStores.memory(4 << 20), locks);
                AtomicBoolean stop = new AtomicBoolean();
                AtomicReference<Throwable> error = new AtomicReference<>();
                int loopers = 3;
                AtomicLongArray count = new AtomicLongArray(loopers);
                List<Thread> threads = new ArrayList<>();
                for (int i = 0; i < loopers; i++) {
                    int id = i;
                    Handle h = vol.open();
                    h.fadvise(Advice.RANDOM, 0, 0);
                    SplittableRandom r = new SplittableRandom(seed + i);
                    threads.add(start("miss-looper-" + i, error, () -> {
                        while (!stop.get()) {
                            h.read((long) r.nextInt(span / PAGE) * PAGE, ByteBuffer.allocate(PAGE));
                            count.incrementAndGet(id);
                        }
                    }));
                }
                awaitCondition(() -> minOf(count) > 50 || error.get() != null, BOUND, "loopers to start");
                Handle dh = vol.open();
                SplittableRandom rnd = new SplittableRandom(seed);
                byte[] last = null;
                long worst = 0;
                for (int k = 0; k < 10 && error.get() == null; k++) {
                    long[] snap = snapshot(count);
                    byte[] d = TestSupport.random(rnd, span);
                    long t0 = System.nanoTime();
                    writeDirect(dh, 0, d, false);
                    worst = Math.max(worst, System.nanoTime() - t0);
                    last = d;
                    awaitCondition(() -> progressedAll(count, snap) || error.get() != null, BOUND,
                            "every looper to make progress after the direct write got in");
                }
                stop.set(true);
                joinAll(threads, error);
                assertThat(worst).as("slowest direct write, ns").isLessThan(LATENCY_BOUND_NANOS);
                assertThat(locks.maxWaitNanos(LockMode.BLOCK)).as("longest BLOCK wait, ns").isLessThan(LATENCY_BOUND_NANOS);
                assertThat(locks.timeouts.get()).isZero();
                assertThat(Arrays.equals(readDirect(dh, 0, span), last)).as("last direct write's data").isTrue();
                assertThat(Arrays.equals(read(dh, 0, span), last)).as("buffered view of it").isTrue();
                vol.close();
            }
        });
    }

    /**
     * Fairness, BLOCK side busy: threads loop on direct reads and writes of the first MiB (BLOCK is
     * shared, so without fairness there is always a holder) while buffered misses and mapping faults
     * of that MiB keep arriving. Every miss gets in within the bound; the loopers keep going. All
     * writes write the same fixed pattern, so every read can be checked.
     */
    @ParameterizedTest
    @EnumSource(LockPolicy.class)
    @DisplayName("(g) a stream of direct I/O cannot starve a buffered miss or a fault")
    void directIoDoesNotStarveBufferedMiss(LockPolicy policy) {
        long seed = seed("g-block");
        assertTimeoutPreemptively(Duration.ofSeconds(90), () -> {
            int span = 1 << 20;
            byte[] pattern = new byte[4 << 20];
            for (int i = 0; i < pattern.length; i++) {
                pattern[i] = (byte) (i * 31 + (i >>> 12));
            }
            BackingStore store = TestStores.memory(4 << 20);
            store.write(0, ByteBuffer.wrap(pattern));
            CountingLockListener locks = new CountingLockListener();
            try (Engine engine = new Engine(EngineConfig.withCache(256 << 10))) {
                Volume vol = engine.open(config("fair-block", policy), store, locks);
                AtomicBoolean stop = new AtomicBoolean();
                AtomicReference<Throwable> error = new AtomicReference<>();
                int loopers = 3;
                AtomicLongArray count = new AtomicLongArray(loopers);
                List<Thread> threads = new ArrayList<>();
                for (int i = 0; i < loopers; i++) {
                    int id = i;
                    Handle h = vol.open();
                    SplittableRandom r = new SplittableRandom(seed + i);
                    threads.add(start("dio-looper-" + i, error, () -> {
                        while (!stop.get()) {
                            int off = r.nextInt(span - (16 << 10));
                            int len = 1 + r.nextInt(16 << 10);
                            if (r.nextBoolean()) {
                                writeDirect(h, off, Arrays.copyOfRange(pattern, off, off + len), false);
                            } else {
                                byte[] got = readDirect(h, off, len);
                                if (!Arrays.equals(got, 0, len, pattern, off, off + len)) {
                                    fail("direct read at " + off + " does not match the pattern");
                                }
                            }
                            count.incrementAndGet(id);
                        }
                    }));
                }
                awaitCondition(() -> minOf(count) > 50 || error.get() != null, BOUND, "loopers to start");
                Handle bh = vol.open();
                bh.fadvise(Advice.RANDOM, 0, 0);
                // A 32-page mapping: mapped pages are pinned, so it must stay well inside the 64-page cache.
                int mapped = 128 << 10;
                Mapping m = bh.map(0, mapped, false, InvalidationListener.NONE);
                SplittableRandom rnd = new SplittableRandom(seed);
                long worst = 0;
                for (int k = 0; k < 20 && error.get() == null; k++) {
                    long[] snap = snapshot(count);
                    int page = rnd.nextInt((k % 2 == 0 ? span : mapped) / PAGE);
                    long off = (long) page * PAGE;
                    bh.fadvise(Advice.DONTNEED, off, PAGE); // make it a miss (if clean and unmapped)
                    long t0 = System.nanoTime();
                    byte[] got = k % 2 == 0 ? read(bh, off, PAGE) : read(m, off, PAGE);
                    worst = Math.max(worst, System.nanoTime() - t0);
                    assertThat(Arrays.equals(got, 0, PAGE, pattern, (int) off, (int) off + PAGE))
                            .as("%s of page %d", k % 2 == 0 ? "buffered read" : "mapping load", page).isTrue();
                    awaitCondition(() -> progressedAll(count, snap) || error.get() != null, BOUND,
                            "every looper to make progress after the miss got in");
                }
                stop.set(true);
                joinAll(threads, error);
                assertThat(worst).as("slowest buffered miss, ns").isLessThan(LATENCY_BOUND_NANOS);
                assertThat(locks.maxWaitNanos(LockMode.ADD)).as("longest ADD wait, ns").isLessThan(LATENCY_BOUND_NANOS);
                assertThat(locks.timeouts.get()).isZero();
                vol.close();
            }
        });
    }

    static long minOf(AtomicLongArray a) {
        long min = Long.MAX_VALUE;
        for (int i = 0; i < a.length(); i++) {
            min = Math.min(min, a.get(i));
        }
        return min;
    }

    static long[] snapshot(AtomicLongArray a) {
        long[] s = new long[a.length()];
        for (int i = 0; i < s.length; i++) {
            s[i] = a.get(i);
        }
        return s;
    }

    static boolean progressedAll(AtomicLongArray a, long[] snap) {
        for (int i = 0; i < snap.length; i++) {
            if (a.get(i) <= snap[i]) {
                return false;
            }
        }
        return true;
    }
}
