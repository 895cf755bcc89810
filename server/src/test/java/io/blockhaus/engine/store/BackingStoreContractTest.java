package io.blockhaus.engine.store;

import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The {@link BackingStore} contract, run against every implementation by subclassing.
 * Sizes are in units of the store's own block alignment so the suite fits any file system.
 */
public abstract class BackingStoreContractTest {
    private final List<BackingStore> opened = new ArrayList<>();

    /** A new store of {@code size} bytes that reads all zero. */
    protected abstract BackingStore create(long size);

    /** True when never-written ranges of a new store show up as holes in {@link BackingStore#extents}. */
    protected abstract boolean newStoreReportsHoles();

    /** True when a punched range is reported as a hole afterwards. */
    protected abstract boolean punchDeallocates();

    /**
     * False for stores that cannot shift data (objects in S3): collapse and insert must then
     * answer ENOTSUP and change nothing, and the tests of their semantics check just that.
     */
    protected boolean collapsesAndInserts() {
        return true;
    }

    /** For stores without collapse/insert: every call answers ENOTSUP and changes nothing. Returns true then. */
    private boolean refusesReshaping(BackingStore s) {
        if (collapsesAndInserts()) {
            return false;
        }
        int a = s.blockAlignment();
        byte[] before = read(s, 0, (int) s.size());
        long size = s.size();
        assertErrno(Errno.ENOTSUP, () -> s.collapseRange(0, a));
        assertErrno(Errno.ENOTSUP, () -> s.insertRange(0, a));
        assertThat(s.size()).isEqualTo(size);
        assertThat(read(s, 0, (int) size)).isEqualTo(before);
        return true;
    }

    protected final BackingStore newStore(long size) {
        BackingStore s = create(size);
        opened.add(s);
        return s;
    }

    @AfterEach
    void closeStores() {
        opened.forEach(BackingStore::close);
    }

    // ---- helpers -------------------------------------------------------------------------

    static byte[] pattern(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        for (int i = 0; i < n; i++) {
            if (b[i] == 0) {
                b[i] = 1; // never zero, so "reads zero" always means "was cleared"
            }
        }
        return b;
    }

    static void write(BackingStore s, long offset, byte[] data) {
        s.write(offset, ByteBuffer.wrap(data));
    }

    static byte[] read(BackingStore s, long offset, int n) {
        ByteBuffer b = ByteBuffer.allocate(n);
        s.read(offset, b);
        assertThat(b.hasRemaining()).as("read fills the buffer").isFalse();
        return b.array();
    }

    static void assertErrno(Errno errno, ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(ErrnoException.class,
                e -> assertThat(e.errno()).isEqualTo(errno));
    }

    /** Fills the whole store with a pattern and returns it, the model later assertions compare to. */
    static byte[] fill(BackingStore s, long seed) {
        byte[] all = pattern((int) s.size(), seed);
        write(s, 0, all);
        return all;
    }

    static void assertContents(BackingStore s, byte[] model) {
        assertThat(s.size()).isEqualTo(model.length);
        assertThat(read(s, 0, model.length)).as("contents").isEqualTo(model);
    }

    /** Extents of the whole range must tile it, alternate in kind, and holes and zero runs must read zero. */
    static List<Extent> checkedExtents(BackingStore s, long offset, long length) {
        List<Extent> extents = s.extents(offset, length, Integer.MAX_VALUE);
        long end = Math.min(offset + length, s.size());
        long pos = offset;
        Extent prev = null;
        for (Extent e : extents) {
            assertThat(e.offset()).as("extents are contiguous: %s", extents).isEqualTo(pos);
            if (prev != null) {
                assertThat(e.sameKind(prev)).as("neighbours differ in kind: %s", extents).isFalse();
            }
            if (e.zero()) {
                assertThat(read(s, e.offset(), (int) e.length())).as("hole or allocated zeroes %s reads zero", e)
                        .isEqualTo(new byte[(int) e.length()]);
            }
            pos = e.end();
            prev = e;
        }
        assertThat(pos).as("extents cover the range: %s", extents).isEqualTo(Math.max(end, offset));
        return extents;
    }

    static boolean covered(List<Extent> extents, long from, long to, boolean hole) {
        return extents.stream().filter(e -> e.hole() == hole)
                .anyMatch(e -> e.offset() <= from && e.end() >= to);
    }

    // ---- read and write ------------------------------------------------------------------

    @Test
    void newStoreHasItsSizeAndReadsZero() {
        BackingStore s = newStore(8L * 4096 + 123);
        assertThat(s.size()).isEqualTo(8L * 4096 + 123);
        assertThat(read(s, 0, (int) s.size())).isEqualTo(new byte[(int) s.size()]);
        assertThat(Integer.bitCount(s.blockAlignment())).isEqualTo(1);
    }

    @Test
    void writeThenReadRoundTripsAtUnalignedOffsets() {
        BackingStore s = newStore(64 * 1024);
        byte[] a = pattern(5000, 1);
        byte[] b = pattern(777, 2);
        write(s, 4093, a);
        ByteBuffer direct = ByteBuffer.allocateDirect(777).put(b).flip();
        s.write(20001, direct);
        assertThat(direct.hasRemaining()).as("write consumes its buffer").isFalse();

        assertThat(read(s, 4093, 5000)).isEqualTo(a);
        ByteBuffer into = ByteBuffer.allocateDirect(777);
        s.read(20001, into);
        byte[] got = new byte[777];
        into.flip().get(got);
        assertThat(got).isEqualTo(b);
        assertThat(read(s, 0, 4093)).isEqualTo(new byte[4093]);
    }

    @Test
    void readPastEndFillsZeroes() {
        BackingStore s = newStore(10_000);
        byte[] tail = pattern(100, 3);
        write(s, 9_900, tail);

        byte[] spanning = read(s, 9_900, 300);
        assertThat(Arrays.copyOf(spanning, 100)).isEqualTo(tail);
        assertThat(Arrays.copyOfRange(spanning, 100, 300)).isEqualTo(new byte[200]);

        ByteBuffer beyond = ByteBuffer.allocate(50);
        Arrays.fill(beyond.array(), (byte) 7);
        s.read(1_000_000, beyond);
        assertThat(beyond.array()).isEqualTo(new byte[50]);
        assertThat(beyond.position()).isEqualTo(50);
    }

    @Test
    void writePastEndIsEinvalAndChangesNothing() {
        BackingStore s = newStore(4 * 4096);
        byte[] model = fill(s, 4);
        ByteBuffer src = ByteBuffer.wrap(pattern(100, 5));

        assertErrno(Errno.EINVAL, () -> s.write(4 * 4096 - 50, src));
        assertErrno(Errno.EINVAL, () -> s.write(4 * 4096 + 1, src));
        assertErrno(Errno.EINVAL, () -> s.write(-1, src));
        assertErrno(Errno.EINVAL, () -> s.write(Long.MAX_VALUE - 10, src));

        assertThat(src.position()).as("nothing consumed").isZero();
        assertContents(s, model);
        s.write(4 * 4096, ByteBuffer.allocate(0)); // empty write at the end is fine
    }

    @Test
    void badArgumentsAreEinval() {
        BackingStore s = newStore(4 * 4096);
        byte[] model = fill(s, 6);
        assertErrno(Errno.EINVAL, () -> s.read(-1, ByteBuffer.allocate(1)));
        assertErrno(Errno.EINVAL, () -> s.read(0, ByteBuffer.allocate(1).asReadOnlyBuffer()));
        assertErrno(Errno.EINVAL, () -> s.punchHole(-1, 10));
        assertErrno(Errno.EINVAL, () -> s.punchHole(10, -1));
        assertErrno(Errno.EINVAL, () -> s.punchHole(10, Long.MAX_VALUE));
        assertErrno(Errno.EINVAL, () -> s.punchHole(0, 4 * 4096 + 1));
        assertErrno(Errno.EINVAL, () -> s.zeroRange(4096, 4 * 4096));
        assertErrno(Errno.EINVAL, () -> s.allocate(Long.MAX_VALUE, 1));
        assertErrno(Errno.EINVAL, () -> s.truncate(-1));
        assertErrno(Errno.EINVAL, () -> s.extents(0, 10, 0));
        assertErrno(Errno.EINVAL, () -> s.extents(-1, 10, 1));
        assertContents(s, model);
    }

    // ---- punch, zero, allocate -----------------------------------------------------------

    @Test
    void punchHoleZeroesExactlyAnUnalignedRange() {
        BackingStore s = newStore(8 * 4096);
        byte[] model = fill(s, 7);
        s.punchHole(4096 / 2 + 3, 5 * 4096 + 4);
        Arrays.fill(model, 4096 / 2 + 3, 4096 / 2 + 3 + 5 * 4096 + 4, (byte) 0);
        assertContents(s, model);

        s.punchHole(100, 0); // empty: no change
        s.punchHole(8 * 4096 - 1, 1);
        model[8 * 4096 - 1] = 0;
        assertContents(s, model);
    }

    @Test
    void zeroRangeZeroesExactlyAnUnalignedRange() {
        BackingStore s = newStore(8 * 4096 + 10);
        byte[] model = fill(s, 8);
        s.zeroRange(1, 3 * 4096);
        Arrays.fill(model, 1, 1 + 3 * 4096, (byte) 0);
        s.zeroRange(5 * 4096 - 17, 3 * 4096 + 27); // to the unaligned end
        Arrays.fill(model, 5 * 4096 - 17, model.length, (byte) 0);
        assertContents(s, model);
    }

    @Test
    void allocateKeepsContents() {
        BackingStore s = newStore(8 * 4096);
        byte[] data = pattern(3000, 9);
        write(s, 4096 + 5, data);
        s.allocate(0, 8 * 4096);
        s.allocate(77, 5);
        byte[] model = new byte[8 * 4096];
        System.arraycopy(data, 0, model, 4096 + 5, data.length);
        assertContents(s, model);
    }

    // ---- collapse and insert -------------------------------------------------------------

    @Test
    void collapseRangeShiftsTheTailDownAndShrinks() {
        int a = newStore(0).blockAlignment();
        BackingStore s = newStore(8L * a + 100); // an unaligned size is allowed
        byte[] model = fill(s, 10);
        if (refusesReshaping(s)) {
            return;
        }
        s.collapseRange(2L * a, 2L * a);
        byte[] expected = new byte[6 * a + 100];
        System.arraycopy(model, 0, expected, 0, 2 * a);
        System.arraycopy(model, 4 * a, expected, 2 * a, 4 * a + 100);
        assertContents(s, expected);

        s.collapseRange(0, a);
        assertContents(s, Arrays.copyOfRange(expected, a, expected.length));
    }

    @Test
    void collapseRejectsMisalignmentAndRangesReachingTheEnd() {
        BackingStore s = newStore(0);
        int a = s.blockAlignment();
        BackingStore t = newStore(8L * a);
        byte[] model = fill(t, 11);
        if (refusesReshaping(t)) {
            return;
        }
        assertErrno(Errno.EINVAL, () -> t.collapseRange(a / 2, a));
        assertErrno(Errno.EINVAL, () -> t.collapseRange(a, a + 1));
        assertErrno(Errno.EINVAL, () -> t.collapseRange(6L * a, 2L * a)); // reaches the end
        assertErrno(Errno.EINVAL, () -> t.collapseRange(6L * a, 4L * a)); // passes it
        assertErrno(Errno.EINVAL, () -> t.collapseRange(-a, a));
        assertErrno(Errno.EINVAL, () -> t.collapseRange(a, Long.MAX_VALUE - a + 1));
        assertContents(t, model);
    }

    @Test
    void insertRangeShiftsTheTailUpAndOpensZeroes() {
        int a = newStore(0).blockAlignment();
        BackingStore s = newStore(4L * a + 10);
        byte[] model = fill(s, 12);
        if (refusesReshaping(s)) {
            return;
        }
        s.insertRange(a, 3L * a);
        byte[] expected = new byte[7 * a + 10];
        System.arraycopy(model, 0, expected, 0, a);
        System.arraycopy(model, a, expected, 4 * a, 3 * a + 10);
        assertContents(s, expected);

        s.insertRange(0, a); // at the very start
        byte[] again = new byte[8 * a + 10];
        System.arraycopy(expected, 0, again, a, expected.length);
        assertContents(s, again);
    }

    @Test
    void insertRejectsMisalignmentAndOffsetsAtOrPastTheEnd() {
        int a = newStore(0).blockAlignment();
        BackingStore s = newStore(4L * a);
        byte[] model = fill(s, 13);
        if (refusesReshaping(s)) {
            return;
        }
        assertErrno(Errno.EINVAL, () -> s.insertRange(4L * a, a)); // at the end: use truncate
        assertErrno(Errno.EINVAL, () -> s.insertRange(8L * a, a));
        assertErrno(Errno.EINVAL, () -> s.insertRange(1, a));
        assertErrno(Errno.EINVAL, () -> s.insertRange(a, a - 1));
        assertErrno(Errno.EINVAL, () -> s.insertRange(0, Long.MAX_VALUE & -a));
        assertContents(s, model);
    }

    // ---- truncate ------------------------------------------------------------------------

    @Test
    void truncateShrinkThenGrowReadsZeroesWhereDataWas() {
        BackingStore s = newStore(8 * 4096);
        byte[] model = fill(s, 14);
        s.truncate(3 * 4096 + 5);
        assertContents(s, Arrays.copyOf(model, 3 * 4096 + 5));
        s.truncate(10 * 4096);
        byte[] expected = new byte[10 * 4096];
        System.arraycopy(model, 0, expected, 0, 3 * 4096 + 5);
        assertContents(s, expected);
        s.truncate(0);
        assertThat(s.size()).isZero();
        assertThat(s.extents(0, 4096, 10)).isEmpty();
    }

    // ---- extents -------------------------------------------------------------------------

    @Test
    void extentsAfterWriteAndPunch() {
        BackingStore s = newStore(64 * 4096);
        write(s, 16 * 4096, pattern(4 * 4096, 15));
        write(s, 40 * 4096 + 100, pattern(10, 16));

        List<Extent> after = checkedExtents(s, 0, s.size());
        assertThat(covered(after, 16 * 4096, 20 * 4096, false)).as("written data is data: %s", after).isTrue();
        assertThat(covered(after, 40 * 4096 + 100, 40 * 4096 + 110, false)).isTrue();
        if (newStoreReportsHoles()) {
            assertThat(after.getFirst()).isEqualTo(new Extent(0, 16 * 4096, true));
            assertThat(after.getLast().hole()).isTrue();
            assertThat(after).hasSize(5);
        }

        s.punchHole(16 * 4096, 2 * 4096);
        List<Extent> punched = checkedExtents(s, 0, s.size());
        assertThat(covered(punched, 18 * 4096, 20 * 4096, false)).as("%s", punched).isTrue();
        if (punchDeallocates()) {
            assertThat(covered(punched, 0, 18 * 4096, true)).as("punched range is a hole: %s", punched).isTrue();
        }
    }

    @Test
    void extentsAreClippedToTheRangeAndLimitedInNumber() {
        BackingStore s = newStore(32 * 4096);
        write(s, 8 * 4096, pattern(4096, 17));
        write(s, 20 * 4096, pattern(4096, 18));

        List<Extent> one = s.extents(4096, s.size(), 1);
        assertThat(one).hasSize(1);
        assertThat(one.getFirst().offset()).isEqualTo(4096);

        List<Extent> clipped = checkedExtents(s, 8 * 4096 + 10, 100 * 4096);
        assertThat(clipped.getFirst().offset()).isEqualTo(8 * 4096 + 10);
        assertThat(clipped.getLast().end()).isEqualTo(s.size());
        assertThat(s.extents(s.size(), 10, 5)).isEmpty();
        assertThat(s.extents(5, 0, 5)).isEmpty();

        if (newStoreReportsHoles()) {
            List<Extent> two = s.extents(0, s.size(), 2);
            assertThat(two).containsExactly(new Extent(0, 8 * 4096, true), new Extent(8 * 4096, 4096, false));
        }
    }

    // ---- scatter / gather ----------------------------------------------------------------

    @Test
    void scatterGatherRoundTripsAcrossHeapDirectAndReadOnlyBuffers() {
        BackingStore s = newStore(256 * 1024);
        byte[] data = pattern(3 * 4096 + 333, 19);
        ByteBuffer heap = ByteBuffer.wrap(data, 0, 1000);
        ByteBuffer direct = ByteBuffer.allocateDirect(4096).put(data, 1000, 4096).flip();
        ByteBuffer empty = ByteBuffer.allocate(0);
        ByteBuffer readOnlyHeap = ByteBuffer.wrap(data, 5096, 3000).slice().asReadOnlyBuffer();
        ByteBuffer readOnlyDirect = ByteBuffer.allocateDirect(data.length - 8096)
                .put(data, 8096, data.length - 8096).flip().asReadOnlyBuffer();
        ByteBuffer[] srcs = {heap, direct, empty, readOnlyHeap, readOnlyDirect};
        s.write(12345, srcs);
        for (ByteBuffer src : srcs) {
            assertThat(src.hasRemaining()).isFalse();
        }

        ByteBuffer d1 = ByteBuffer.allocateDirect(5000);
        ByteBuffer h2 = ByteBuffer.allocate(data.length - 5000 + 50); // runs 50 bytes past the data
        s.read(12345, new ByteBuffer[] {d1, h2});
        byte[] got = new byte[data.length + 50];
        d1.flip().get(got, 0, 5000);
        System.arraycopy(h2.array(), 0, got, 5000, h2.capacity());
        assertThat(Arrays.copyOf(got, data.length)).isEqualTo(data);
        assertThat(Arrays.copyOfRange(got, data.length, got.length)).isEqualTo(new byte[50]);
    }

    /** The page cache's fill: many direct page-size buffers in one call, across the end of the store. */
    @Test
    void scatterReadIntoDirectPagesAcrossTheEnd() {
        int size = 10 * 4096 + 100;
        BackingStore s = newStore(size);
        byte[] model = fill(s, 23);
        int pages = 1100; // more than IOV_MAX: needs two system calls where the store batches
        ByteBuffer[] dsts = new ByteBuffer[pages];
        for (int i = 0; i < pages; i++) {
            dsts[i] = ByteBuffer.allocateDirect(i == 0 ? 4096 - 7 : 4096);
            dsts[i].put(0, (byte) 0x5a); // garbage that must be overwritten
        }
        s.read(7, dsts);
        byte[] got = new byte[pages * 4096 - 7];
        int at = 0;
        for (ByteBuffer d : dsts) {
            assertThat(d.hasRemaining()).isFalse();
            d.flip().get(got, at, d.remaining());
            at += d.limit();
        }
        assertThat(Arrays.copyOfRange(got, 0, size - 7)).isEqualTo(Arrays.copyOfRange(model, 7, size));
        assertThat(Arrays.copyOfRange(got, size - 7, got.length)).as("past the end reads zero")
                .isEqualTo(new byte[got.length - (size - 7)]);
    }

    /**
     * The page cache's one-page miss: a read straight into a native segment (a page), inside the
     * store, across its end (zeroes past it), wholly past it, and from a heap segment; and its
     * non-blocking form, which either fills the page exactly or answers false.
     */
    @Test
    void readIntoAPageSegmentInsideAndAcrossTheEnd() {
        int size = 3 * 4096 + 100;
        BackingStore s = newStore(size);
        byte[] model = fill(s, 29);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment page = arena.allocate(4096, 4096);
            for (long offset : new long[] {0, 4096, 7, 3 * 4096, 4 * 4096}) {
                page.fill((byte) 0x5a); // garbage that must be overwritten
                s.read(offset, page);
                byte[] want = new byte[4096];
                int fromStore = (int) Math.clamp(size - offset, 0, 4096);
                System.arraycopy(model, (int) Math.min(offset, size), want, 0, fromStore);
                assertThat(page.toArray(ValueLayout.JAVA_BYTE)).as("page at %d", offset).isEqualTo(want);

                page.fill((byte) 0x5a);
                if (s.readIfInMemory(offset, page)) {
                    assertThat(page.toArray(ValueLayout.JAVA_BYTE)).as("in-memory page at %d", offset).isEqualTo(want);
                }
            }
            MemorySegment heap = MemorySegment.ofArray(new byte[4096]);
            s.read(4096, heap);
            assertThat(heap.toArray(ValueLayout.JAVA_BYTE)).isEqualTo(Arrays.copyOfRange(model, 4096, 8192));
        }
        assertErrno(Errno.EINVAL, () -> s.read(-1, MemorySegment.ofArray(new byte[16])));
    }

    @Test
    void gatherWritePastEndChangesNothing() {
        BackingStore s = newStore(8192);
        byte[] model = fill(s, 20);
        ByteBuffer a = ByteBuffer.wrap(pattern(4096, 21));
        ByteBuffer b = ByteBuffer.wrap(pattern(4097, 22));
        assertErrno(Errno.EINVAL, () -> s.write(0, new ByteBuffer[] {a, b}));
        assertThat(a.position()).isZero();
        assertContents(s, model);
    }

    @Test
    void largeHeapWriteCrossesTheBounceBufferSize() {
        BackingStore s = newStore(3L * FileIo.CHUNK + 4096);
        byte[] big = pattern(2 * FileIo.CHUNK + 12345, 23);
        write(s, 4095, big);
        assertThat(read(s, 4095, big.length)).isEqualTo(big);
    }

    // ---- force, close, concurrency -------------------------------------------------------

    @Test
    void forceKeepsData() {
        BackingStore s = newStore(4 * 4096);
        byte[] model = fill(s, 24);
        s.force();
        s.force();
        assertContents(s, model);
    }

    @Test
    void closeIsIdempotentAndLaterCallsFail() {
        BackingStore s = newStore(4096);
        s.close();
        s.close();
        assertErrno(Errno.ESHUTDOWN, () -> s.read(0, ByteBuffer.allocate(10)));
        assertErrno(Errno.ESHUTDOWN, () -> s.write(0, ByteBuffer.allocate(10)));
        assertErrno(Errno.ESHUTDOWN, s::force);
    }

    @Test
    void concurrentWritersOfDisjointRangesAllLand() throws Exception {
        int blocks = 256;
        BackingStore s = newStore((long) blocks * 4096);
        int threads = 4;
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int first = t;
                done.add(pool.submit(() -> {
                    for (int blk = first; blk < blocks; blk += threads) {
                        write(s, blk * 4096L, pattern(4096, blk));
                        assertThat(read(s, blk * 4096L, 4096)).isEqualTo(pattern(4096, blk));
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        }
        for (int blk = 0; blk < blocks; blk++) {
            assertThat(read(s, blk * 4096L, 4096)).as("block %d", blk).isEqualTo(pattern(4096, blk));
        }
    }

    @Test
    void ioBelowAConcurrentCollapseOrInsertIsUndisturbed() throws Exception {
        BackingStore probe = newStore(0);
        int a = probe.blockAlignment();
        BackingStore s = newStore(32L * a);
        byte[] model = fill(s, 25);
        if (refusesReshaping(s)) {
            return;
        }
        int rounds = 50;
        try (ExecutorService pool = Executors.newSingleThreadExecutor()) {
            // Below 8 blocks: a writer and reader, while the main thread reshapes from block 8 up.
            Future<?> below = pool.submit(() -> {
                for (int i = 0; i < rounds * 4; i++) {
                    int blk = i % 8;
                    write(s, (long) blk * a, pattern(a, 100 + blk));
                    assertThat(read(s, (long) blk * a, a)).isEqualTo(pattern(a, 100 + blk));
                }
            });
            for (int i = 0; i < rounds; i++) {
                s.insertRange(8L * a, 2L * a);
                s.collapseRange(8L * a, 2L * a);
            }
            below.get();
        }
        for (int blk = 0; blk < 8; blk++) {
            System.arraycopy(pattern(a, 100 + blk), 0, model, blk * a, a);
        }
        assertContents(s, model);
    }

    // ---- randomized comparison with a byte-array model -----------------------------------

    @Test
    void matchesAByteArrayModelUnderRandomOperations() {
        long seed = Long.getLong("store.seed", new Random().nextLong());
        System.out.println(getClass().getSimpleName() + ": random ops with -Dstore.seed=" + seed + " (-Dstore.ops sets how many)");
        new RandomOps(seed, newStore(16L * newStore(0).blockAlignment()), collapsesAndInserts()).run(Integer.getInteger("store.ops", 3000));
    }
}
