package io.blockhaus.s3.stripes;

import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import io.blockhaus.engine.store.Extent;
import io.blockhaus.s3.TestOwnership;
import io.blockhaus.s3.VolumeGeometry;
import io.blockhaus.s3.objects.MemoryObjectStore;
import io.blockhaus.s3.objects.ScriptedObjectStore;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What the striped store does beyond the BackingStore contract: layout, bounds, outages, ownership. */
class StripedStoreTest {
    static final int PAGE = 4096;
    static final int OBJECT = 4 * PAGE;
    static final String ROOT = "vol/";

    private final MemoryObjectStore bucket = new MemoryObjectStore();
    private final ScriptedObjectStore store = new ScriptedObjectStore(bucket);
    private final List<StripedStore> opened = new ArrayList<>();

    @AfterEach
    void closeAll() {
        store.openGate();
        opened.forEach(StripedStore::close);
    }

    private StripedStore open(long size, TestOwnership ownership, StripedStoreOptions options) {
        StripedStore s = new StripedStore(store, ROOT, new VolumeGeometry(size, OBJECT, PAGE), ownership, options);
        opened.add(s);
        return s;
    }

    private StripedStore open(long size) {
        return open(size, TestOwnership.owner(), new StripedStoreOptions(4, 16L * OBJECT, Duration.ofSeconds(10)));
    }

    static byte[] pattern(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        for (int i = 0; i < n; i++) {
            b[i] |= 1;
        }
        return b;
    }

    static byte[] read(StripedStore s, long offset, int n) {
        ByteBuffer b = ByteBuffer.allocate(n);
        s.read(offset, b);
        return b.array();
    }

    static void assertErrno(Errno errno, ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(errno));
    }

    private static String key(long index) {
        return ROOT + "data/" + String.format("%016x", index);
    }

    @Test
    void objectsAreStoredUnderTheirIndexAndTheLastOneIsShort() {
        long size = 3L * OBJECT + 100;
        StripedStore s = open(size);
        byte[] all = pattern((int) size, 1);
        s.write(0, ByteBuffer.wrap(all));
        s.force();
        assertThat(bucket.keys()).containsExactly(key(0), key(1), key(2), key(3));
        assertThat(bucket.get(key(1)).orElseThrow()).isEqualTo(Arrays.copyOfRange(all, OBJECT, 2 * OBJECT));
        assertThat(bucket.get(key(3)).orElseThrow()).as("the last object ends at the volume's end")
                .isEqualTo(Arrays.copyOfRange(all, 3 * OBJECT, (int) size));
        assertThat(s.stagedBytes()).as("nothing staged once stored").isZero();
    }

    @Test
    void aScatterReadOfPagesCostsOneGetPerObjectNotOnePerPage() {
        StripedStore s = open(4L * OBJECT);
        byte[] all = pattern(4 * OBJECT, 11);
        s.write(0, ByteBuffer.wrap(all));
        s.force();
        // 8 pages from the middle of object 0 to the middle of object 2: three objects touched
        ByteBuffer[] pages = new ByteBuffer[8];
        for (int i = 0; i < pages.length; i++) {
            pages[i] = ByteBuffer.allocate(PAGE);
        }
        int before = store.gets.get();
        s.read(2L * PAGE, pages);
        assertThat(store.gets.get() - before).as("ranged GETs").isEqualTo(3);
        for (int i = 0; i < pages.length; i++) {
            assertThat(pages[i].hasRemaining()).isFalse();
            assertThat(pages[i].array()).as("page %d", i)
                    .isEqualTo(java.util.Arrays.copyOfRange(all, (2 + i) * PAGE, (3 + i) * PAGE));
        }
    }

    @Test
    void aReopenedVolumeReadsWhatWasFlushedAndKnowsItsHoles() {
        long size = 8L * OBJECT;
        StripedStore a = open(size);
        byte[] model = new byte[(int) size];
        byte[] one = pattern(OBJECT + 300, 2);
        a.write(2L * OBJECT - 100, ByteBuffer.wrap(one));
        System.arraycopy(one, 0, model, 2 * OBJECT - 100, one.length);
        byte[] two = pattern(10, 3);
        a.write(6L * OBJECT + 5, ByteBuffer.wrap(two));
        System.arraycopy(two, 0, model, 6 * OBJECT + 5, two.length);
        a.force();
        a.close();

        int getsBefore = store.gets.get();
        StripedStore b = open(size);
        assertThat(read(b, 0, (int) size)).isEqualTo(model);
        assertThat(store.gets.get() - getsBefore).as("one ranged GET per stored object, none for holes").isEqualTo(4);
        assertThat(b.extents(0, size, 100)).containsExactly(
                new Extent(0, OBJECT, true),
                new Extent(OBJECT, 3L * OBJECT, false),
                new Extent(4L * OBJECT, 2L * OBJECT, true),
                new Extent(6L * OBJECT, OBJECT, false),
                new Extent(7L * OBJECT, OBJECT, true));
    }

    @Test
    void anObjectThatBecomesAllZeroesIsDeletedAndZeroesNeverStoredAreNotPut() {
        StripedStore s = open(4L * OBJECT);
        s.write(OBJECT + 10, ByteBuffer.wrap(pattern(100, 4)));
        s.force();
        assertThat(bucket.keys()).containsExactly(key(1));

        s.write(OBJECT + 10, ByteBuffer.wrap(new byte[100])); // zeroes over the only data
        s.force();
        assertThat(bucket.keys()).as("an all-zero object is deleted").isEmpty();
        assertThat(s.extents(0, s.size(), 10)).containsExactly(new Extent(0, 4L * OBJECT, true));

        int puts = store.puts.get();
        int deletes = store.deletes.get();
        s.write(2L * OBJECT, ByteBuffer.wrap(new byte[OBJECT]));
        s.force();
        assertThat(store.puts.get()).as("zeroes written over a hole are not PUT").isEqualTo(puts);
        assertThat(store.deletes.get()).as("nor DELETEd: nothing was there").isEqualTo(deletes);
        assertThat(bucket.keys()).isEmpty();
    }

    @Test
    void punchOfWholeObjectsDeletesThemAndPartialOnesAreRewritten() {
        StripedStore s = open(4L * OBJECT);
        byte[] all = pattern(4 * OBJECT, 5);
        s.write(0, ByteBuffer.wrap(all));
        s.force();
        s.punchHole(OBJECT - 8, 2L * OBJECT + 16); // tail of 0, all of 1 and 2, head of 3
        s.force();
        assertThat(bucket.keys()).containsExactly(key(0), key(3));
        Arrays.fill(all, OBJECT - 8, 3 * OBJECT + 8, (byte) 0);
        assertThat(bucket.get(key(0)).orElseThrow()).isEqualTo(Arrays.copyOfRange(all, 0, OBJECT));
        assertThat(bucket.get(key(3)).orElseThrow()).isEqualTo(Arrays.copyOfRange(all, 3 * OBJECT, 4 * OBJECT));
        assertThat(read(s, 0, 4 * OBJECT)).isEqualTo(all);
    }

    @Test
    void everyPutAndDeleteAsksOwnershipFirstAndFlushConfirms() {
        TestOwnership owner = TestOwnership.owner();
        StripedStore s = open(4L * OBJECT, owner, new StripedStoreOptions(2, 8L * OBJECT, Duration.ofSeconds(10)));
        s.write(0, ByteBuffer.wrap(pattern(3 * OBJECT, 6)));
        s.force();
        s.punchHole(OBJECT, OBJECT);
        s.force();
        assertThat(store.puts.get()).isEqualTo(3);
        assertThat(store.deletes.get()).isEqualTo(1);
        assertThat(owner.beforeWrites.get()).isEqualTo(store.puts.get() + store.deletes.get());
        assertThat(owner.confirms.get()).isEqualTo(2);

        s.truncate(OBJECT + 5);
        assertThat(owner.lastResize.get()).isEqualTo(OBJECT + 5);
        s.force();
        assertThat(bucket.keys()).as("objects past the end deleted").containsExactly(key(0));
        s.truncate(4L * OBJECT);
        assertThat(read(s, OBJECT, 3 * OBJECT)).isEqualTo(new byte[3 * OBJECT]);
    }

    @Test
    void aReadOnlyVolumeRefusesChangesWithErofsAndStillReads() {
        StripedStore w = open(4L * OBJECT);
        byte[] data = pattern(OBJECT, 7);
        w.write(0, ByteBuffer.wrap(data));
        w.force();

        StripedStore r = open(4L * OBJECT, TestOwnership.readOnlyView(), StripedStoreOptions.DEFAULTS);
        int puts = store.puts.get();
        assertErrno(Errno.EROFS, () -> r.write(0, ByteBuffer.allocate(10)));
        assertErrno(Errno.EROFS, () -> r.punchHole(0, OBJECT));
        assertErrno(Errno.EROFS, () -> r.zeroRange(0, 10));
        assertErrno(Errno.EROFS, () -> r.truncate(0));
        assertThat(read(r, 0, OBJECT)).isEqualTo(data);
        assertThat(r.size()).isEqualTo(4L * OBJECT);
        assertThat(store.puts.get()).isEqualTo(puts);
    }

    @Test
    void aFencedOwnerKeepsItsStagedDataButCannotStoreIt() {
        TestOwnership owner = TestOwnership.owner();
        StripedStore s = open(4L * OBJECT, owner, new StripedStoreOptions(2, 8L * OBJECT, Duration.ofSeconds(10)));
        s.write(0, ByteBuffer.wrap(pattern(100, 8)));
        owner.fence();
        long start = System.nanoTime();
        assertErrno(Errno.EROFS, s::force);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("EROFS at once, not after the outage wait")
                .isLessThan(Duration.ofSeconds(5));
        assertThat(bucket.keys()).isEmpty();
        assertErrno(Errno.EROFS, () -> s.write(0, ByteBuffer.allocate(1)));
    }

    @Test
    void atMostMaxParallelPutsRunAtOnce() throws Exception {
        int max = 3;
        StripedStore s = open(10L * OBJECT, TestOwnership.owner(), new StripedStoreOptions(max, 10L * OBJECT, Duration.ofSeconds(30)));
        store.closeGate();
        byte[] all = pattern(10 * OBJECT, 9);
        s.write(0, ByteBuffer.wrap(all)); // fits in staging; every object completes, so uploads start
        CompletableFuture<Void> flush = CompletableFuture.runAsync(s::force);
        assertThat(store.awaitInFlight(max)).isTrue();
        assertThat(s.uploadsInFlight()).isEqualTo(max);
        assertThat(flush).isNotDone();
        store.openGate();
        flush.get(30, TimeUnit.SECONDS);
        assertThat(store.maxInFlight.get()).isEqualTo(max);
        assertThat(store.puts.get()).isEqualTo(10);
        assertThat(bucket.keys()).hasSize(10);
    }

    @Test
    void aWriterPastTheByteBoundWaitsThenFailsEioAndProceedsOnceThereIsRoom() throws Exception {
        Duration wait = Duration.ofMillis(300);
        StripedStore s = open(10L * OBJECT, TestOwnership.owner(), new StripedStoreOptions(2, 2L * OBJECT, wait));
        store.closeGate();
        s.write(0, ByteBuffer.wrap(pattern(2 * OBJECT, 10))); // two whole objects: the bound
        assertThat(store.awaitInFlight(2)).isTrue();
        assertThat(s.stagedBytes()).isEqualTo(2L * OBJECT);

        long start = System.nanoTime();
        assertErrno(Errno.EIO, () -> s.write(5L * OBJECT, ByteBuffer.wrap(pattern(OBJECT, 11))));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(wait).isLessThan(wait.multipliedBy(20));
        assertThat(s.stagedBytes()).as("never past the bound").isEqualTo(2L * OBJECT);
        assertThat(read(s, 5L * OBJECT, OBJECT)).as("the refused write changed nothing").isEqualTo(new byte[OBJECT]);

        try (ExecutorService pool = Executors.newSingleThreadExecutor()) {
            StripedStore roomy = s;
            Future<?> writer = pool.submit(() -> roomy.write(5L * OBJECT, ByteBuffer.wrap(pattern(OBJECT, 11))));
            store.openGate(); // uploads finish, room comes back, the writer goes on
            writer.get(30, TimeUnit.SECONDS);
        }
        s.force();
        assertThat(read(s, 5L * OBJECT, OBJECT)).isEqualTo(pattern(OBJECT, 11));
        assertThat(s.stagedBytes()).isZero();
    }

    @Test
    void aSharedBudgetBoundsTwoVolumesTogether() throws Exception {
        StagingBudget budget = new StagingBudget(2L * OBJECT);
        StripedStoreOptions options = new StripedStoreOptions(2, 8L * OBJECT, Duration.ofMillis(300)).withSharedBudget(budget);
        StripedStore a = new StripedStore(store, "a/", new VolumeGeometry(4L * OBJECT, OBJECT, PAGE), TestOwnership.owner(), options);
        StripedStore b = new StripedStore(store, "b/", new VolumeGeometry(4L * OBJECT, OBJECT, PAGE), TestOwnership.owner(), options);
        opened.add(a);
        opened.add(b);
        store.closeGate();
        a.write(0, ByteBuffer.wrap(pattern(OBJECT, 12)));
        b.write(0, ByteBuffer.wrap(pattern(OBJECT, 13)));
        assertThat(budget.used()).isEqualTo(2L * OBJECT);
        assertErrno(Errno.EIO, () -> a.write(2L * OBJECT, ByteBuffer.wrap(pattern(OBJECT, 14))));
        assertThat(budget.used()).as("the server-wide bound holds").isEqualTo(2L * OBJECT);
        store.openGate();
        a.force();
        b.force();
        assertThat(budget.used()).isZero();
        a.write(2L * OBJECT, ByteBuffer.wrap(pattern(OBJECT, 14)));
        a.close();
        assertThat(budget.used()).as("close gives staged bytes back").isZero();
    }

    @Test
    void anOutageFailsFlushAndColdReadsWithEioWithinTheBoundKeepsTheDataAndRecovers() {
        Duration wait = Duration.ofMillis(300);
        StripedStore s = open(4L * OBJECT, TestOwnership.owner(), new StripedStoreOptions(2, 8L * OBJECT, wait));
        byte[] stored = pattern(OBJECT, 15);
        s.write(3L * OBJECT, ByteBuffer.wrap(stored));
        s.force();

        store.breakDown();
        byte[] staged = pattern(2 * OBJECT, 16);
        s.write(0, ByteBuffer.wrap(staged)); // fits in staging: accepted while the store is down
        long start = System.nanoTime();
        assertErrno(Errno.EIO, s::force);
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(took).as("flush gives up after the outage wait").isGreaterThanOrEqualTo(wait).isLessThan(wait.multipliedBy(20));
        assertThat(read(s, 0, 2 * OBJECT)).as("staged data is kept and read").isEqualTo(staged);
        assertErrno(Errno.EIO, () -> read(s, 3L * OBJECT, 10)); // a read the store must answer
        assertThat(bucket.keys()).containsExactly(key(3));

        store.heal();
        s.force();
        assertThat(bucket.keys()).containsExactly(key(0), key(1), key(3));
        assertThat(bucket.get(key(1)).orElseThrow()).isEqualTo(Arrays.copyOfRange(staged, OBJECT, 2 * OBJECT));
        assertThat(read(s, 3L * OBJECT, OBJECT)).isEqualTo(stored);
    }

    @Test
    void closedStoreFailsWithEshutdownAndDoesNotFlush() {
        StripedStore s = open(4L * OBJECT);
        s.write(0, ByteBuffer.wrap(pattern(10, 17)));
        s.close();
        assertErrno(Errno.ESHUTDOWN, s::force);
        assertErrno(Errno.ESHUTDOWN, () -> s.extents(0, 10, 1));
        assertErrno(Errno.ESHUTDOWN, () -> s.truncate(0));
        assertThat(bucket.keys()).isEmpty();
    }

    @Test
    void openDeletesObjectsPastTheEndAndTrimsTheLastOneLeftByACrashedTruncate() {
        StripedStore a = open(4L * OBJECT);
        a.write(0, ByteBuffer.wrap(pattern(4 * OBJECT, 18)));
        a.force();
        a.close();
        // as if the manifest said 1.5 objects and the crash came before the trim
        StripedStore b = open(OBJECT + OBJECT / 2);
        b.force();
        assertThat(bucket.keys()).containsExactly(key(0), key(1));
        assertThat(bucket.get(key(1)).orElseThrow()).hasSize(OBJECT / 2);
        b.truncate(4L * OBJECT);
        assertThat(read(b, OBJECT + OBJECT / 2, OBJECT)).isEqualTo(new byte[OBJECT]);
    }

    // ---- deferred read-modify-write ---------------------------------------------------------

    /** Object 1 stored with {@code old}; answers old. */
    private byte[] storedObject(StripedStore s, long seed) {
        byte[] old = pattern(OBJECT, seed);
        s.write(OBJECT, ByteBuffer.wrap(old));
        s.force();
        assertThat(bucket.get(key(1)).orElseThrow()).isEqualTo(old);
        return old;
    }

    @Test
    void aSequentialOverwriteOfAnExistingObjectCostsOnePutAndNoGet() {
        StripedStore s = open(4L * OBJECT);
        storedObject(s, 30);
        byte[] fresh = pattern(OBJECT, 31);
        int gets = store.gets.get();
        int puts = store.puts.get();
        for (int page = 0; page < OBJECT / PAGE; page++) { // as writeback sends it: page after page
            s.write(OBJECT + (long) page * PAGE, ByteBuffer.wrap(fresh, page * PAGE, PAGE));
        }
        s.force();
        assertThat(store.gets.get() - gets).as("GETs").isZero();
        assertThat(store.puts.get() - puts).as("PUTs").isEqualTo(1);
        assertThat(bucket.get(key(1)).orElseThrow()).isEqualTo(fresh);
        assertThat(s.stagedBytes()).isZero();
    }

    @Test
    void aPartialOverwriteFetchesTheRestOnceAtItsUploadAndMergesIt() {
        StripedStore s = open(4L * OBJECT);
        byte[] expected = storedObject(s, 32);
        byte[] fresh = pattern(2 * PAGE - 3, 33); // unaligned: the writes need not be pages
        int gets = store.gets.get();
        int puts = store.puts.get();
        s.write(OBJECT, ByteBuffer.wrap(fresh, 0, PAGE));
        s.write(OBJECT + PAGE, ByteBuffer.wrap(fresh, PAGE, fresh.length - PAGE));
        assertThat(store.gets.get() - gets).as("no GET before the upload").isZero();
        s.force();
        System.arraycopy(fresh, 0, expected, 0, fresh.length);
        assertThat(store.gets.get() - gets).as("GETs").isEqualTo(1);
        assertThat(store.puts.get() - puts).as("PUTs").isEqualTo(1);
        assertThat(bucket.get(key(1)).orElseThrow()).isEqualTo(expected);
        assertThat(read(s, OBJECT, OBJECT)).isEqualTo(expected);
    }

    @Test
    void readsOfAPartlyWrittenStagedObjectAreNewWhereWrittenAndOldElsewhere() {
        StripedStore s = open(4L * OBJECT);
        byte[] expected = storedObject(s, 34);
        byte[] a = pattern(PAGE + 93, 35);
        byte[] b = pattern(50, 36);
        s.write(OBJECT + PAGE + 7, ByteBuffer.wrap(a));
        s.write(OBJECT + 3L * PAGE + 1, ByteBuffer.wrap(b));
        System.arraycopy(a, 0, expected, PAGE + 7, a.length);
        System.arraycopy(b, 0, expected, 3 * PAGE + 1, b.length);

        int gets = store.gets.get();
        assertThat(read(s, OBJECT + PAGE + 7, a.length)).as("inside what was written").isEqualTo(a);
        assertThat(store.gets.get() - gets).as("served from the image alone").isZero();
        assertThat(read(s, 0, 2 * OBJECT)).as("across objects, old and new bytes")
                .isEqualTo(concat(new byte[OBJECT], expected));
        ByteBuffer[] pages = new ByteBuffer[OBJECT / PAGE];
        for (int i = 0; i < pages.length; i++) {
            pages[i] = ByteBuffer.allocate(PAGE);
        }
        s.read(OBJECT, pages);
        for (int i = 0; i < pages.length; i++) {
            assertThat(pages[i].array()).as("page %d", i).isEqualTo(Arrays.copyOfRange(expected, i * PAGE, (i + 1) * PAGE));
        }
        assertThat(bucket.get(key(1)).orElseThrow()).as("nothing uploaded yet").isNotEqualTo(expected);
        s.force();
        assertThat(bucket.get(key(1)).orElseThrow()).isEqualTo(expected);
    }

    private static byte[] concat(byte[] x, byte[] y) {
        byte[] out = Arrays.copyOf(x, x.length + y.length);
        System.arraycopy(y, 0, out, x.length, y.length);
        return out;
    }

    @Test
    void aFailedFetchAtUploadKeepsTheWriteStagedAndItLandsOnceTheStoreHeals() {
        StripedStore s = open(4L * OBJECT, TestOwnership.owner(), new StripedStoreOptions(2, 8L * OBJECT, Duration.ofMillis(300)));
        byte[] expected = storedObject(s, 37);
        byte[] old = expected.clone();
        byte[] fresh = pattern(PAGE, 38);
        store.breakDown();
        s.write(OBJECT + 2L * PAGE, ByteBuffer.wrap(fresh)); // no request: accepted while the store is down
        System.arraycopy(fresh, 0, expected, 2 * PAGE, PAGE);
        assertErrno(Errno.EIO, s::force);
        assertThat(read(s, OBJECT + 2L * PAGE, PAGE)).as("the write is still staged").isEqualTo(fresh);
        assertErrno(Errno.EIO, () -> read(s, OBJECT, PAGE)); // the rest is the store's, and it is down
        assertThat(bucket.get(key(1)).orElseThrow()).as("the store still holds the old object").isEqualTo(old);

        store.heal();
        s.force();
        assertThat(bucket.get(key(1)).orElseThrow()).isEqualTo(expected);
        assertThat(read(s, OBJECT, OBJECT)).isEqualTo(expected);
    }

    @Test
    void aWriteDuringTheUploadOfAWrittenAroundObjectKeepsItsGapsTheStoresAndLandsNext() throws Exception {
        StripedStore s = open(4L * OBJECT);
        byte[] expected = storedObject(s, 39);
        byte[] last = pattern(PAGE, 40);
        byte[] second = pattern(PAGE, 41);
        int gets = store.gets.get();
        store.closeGate();
        s.write(OBJECT + 3L * PAGE, ByteBuffer.wrap(last)); // reaches the object's end: its upload starts
        assertThat(store.awaitInFlight(1)).as("the PUT reached the gate").isTrue();
        assertThat(store.gets.get() - gets).as("the upload fetched its one gap first").isEqualTo(1);
        s.write(OBJECT + PAGE, ByteBuffer.wrap(second)); // copies the array in flight
        System.arraycopy(last, 0, expected, 3 * PAGE, PAGE);
        System.arraycopy(second, 0, expected, PAGE, PAGE);
        assertThat(read(s, OBJECT, OBJECT)).isEqualTo(expected);
        gets = store.gets.get();
        store.openGate();
        s.force();
        assertThat(bucket.get(key(1)).orElseThrow()).isEqualTo(expected);
        assertThat(store.gets.get() - gets).as("the copy's two gaps lie close together: one GET of their span").isEqualTo(1);
    }

    @Test
    void scatteredPagesWrittenIntoAnExistingObjectCostAGetPerSpanOfGapsNotPerGap() {
        int big = 1 << 20;
        StripedStore s = new StripedStore(store, "big/", new VolumeGeometry(big, big, PAGE), TestOwnership.owner(),
                new StripedStoreOptions(2, 4L * big, Duration.ofSeconds(10)));
        opened.add(s);
        byte[] expected = pattern(big, 43);
        s.write(0, ByteBuffer.wrap(expected));
        s.force();
        // every other page of the first 512 KiB: 63 one-page gaps, then one gap to the end
        for (int page = 0; page < 128; page += 2) {
            byte[] p = pattern(PAGE, 44 + page);
            s.write((long) page * PAGE, ByteBuffer.wrap(p));
            System.arraycopy(p, 0, expected, page * PAGE, PAGE);
        }
        int gets = store.gets.get();
        s.force();
        // gaps from 4K to 256K, from 260K to 508K, then [508K, 1M) alone: three GETs, not 64
        assertThat(store.gets.get() - gets).as("GETs at the upload").isEqualTo(3);
        assertThat(bucket.get("big/data/" + String.format("%016x", 0)).orElseThrow()).isEqualTo(expected);
        assertThat(read(s, 0, big)).isEqualTo(expected);
    }

    @Test
    void zeroesOverPartOfAnObjectDeleteItOnlyIfTheRestIsZeroToo() {
        StripedStore s = open(4L * OBJECT);
        byte[] expected = storedObject(s, 42);
        s.write(OBJECT, ByteBuffer.wrap(new byte[2 * PAGE]));
        s.force();
        Arrays.fill(expected, 0, 2 * PAGE, (byte) 0);
        assertThat(bucket.get(key(1)).orElseThrow()).as("the rest holds data: kept").isEqualTo(expected);
        s.write(OBJECT + 2L * PAGE, ByteBuffer.wrap(new byte[2 * PAGE]));
        s.force();
        assertThat(bucket.keys()).as("zero now everywhere: deleted").isEmpty();
    }
}
