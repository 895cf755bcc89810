package io.blockhaus.s3.stripes;

import io.blockhaus.s3.TestOwnership;
import io.blockhaus.s3.VolumeOwnership;
import io.blockhaus.s3.objects.MemoryObjectStore;
import io.blockhaus.s3.objects.ObjectStore;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The staging table on its own: images, copy on write, written-around ranges, the index, and
 * the bytes it holds against its room, through every transition an upload makes. The test holds
 * the staging lock throughout ({@link LockedStagingTable}); uploads run here, on this thread,
 * against a memory store.
 */
class StagingTableTest extends LockedStagingTable {
    private final MemoryObjectStore bucket = new MemoryObjectStore();

    @Override
    ObjectStore store() {
        return bucket;
    }

    @Override
    VolumeOwnership ownership() {
        return TestOwnership.owner();
    }

    private static byte[] filled(int n, int value) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) value);
        return b;
    }

    private byte[] readStaged(long index) {
        ByteBuffer b = ByteBuffer.allocate(OBJECT);
        assertThat(table.readStaged(index, 0, b)).isEmpty();
        return b.array();
    }

    private ObjectUpload.Outcome upload(StagedObject e) {
        assertThat(table.wanted(e)).isTrue();
        Supplier<ObjectUpload.Outcome> requests = table.begin(e);
        assertThat(table.wanted(e)).as("in flight").isFalse();
        ObjectUpload.Outcome outcome = requests.get();
        table.ended(e, outcome);
        return outcome;
    }

    @Test
    void aNewObjectHoldsTheArrayItsWriterReservedAndReadsAsWritten() {
        assertThat(table.needsArray(3)).isTrue();
        write(3, 2, filled(4, 7));
        assertThat(room.used()).isEqualTo(OBJECT);
        byte[] expected = new byte[OBJECT];
        Arrays.fill(expected, 2, 6, (byte) 7);
        assertThat(readStaged(3)).isEqualTo(expected);
        assertThat(table.readStaged(2, 0, ByteBuffer.allocate(4))).as("not staged").isNull();
        assertThat(table.needsArray(3)).isFalse();
        write(3, 0, filled(1, 1));
        assertThat(room.used()).as("a second change needs no new array").isEqualTo(OBJECT);
    }

    @Test
    void aChangeDuringAnUploadCopiesTheImageAndTheArraySentNeverChanges() {
        StagedObject e = write(0, 0, filled(OBJECT, 1));
        Supplier<ObjectUpload.Outcome> requests = table.begin(e);
        assertThat(table.needsArray(0)).as("the image is the array in flight").isTrue();
        write(0, 0, filled(4, 2));
        assertThat(e.bytes()).isEqualTo(2 * OBJECT);
        assertThat(room.used()).isEqualTo(2 * OBJECT);

        table.ended(e, requests.get());
        assertThat(bucket.get(KEYS.key(0))).hasValueSatisfying(b -> assertThat(b).isEqualTo(filled(OBJECT, 1)));
        assertThat(table.current(e)).as("changed since: still staged").isTrue();
        assertThat(room.used()).as("the array sent is given back").isEqualTo(OBJECT);
        assertThat(table.wanted(e)).isTrue();

        upload(e);
        assertThat(table.current(e)).isFalse();
        assertThat(room.used()).isZero();
        byte[] expected = filled(OBJECT, 1);
        Arrays.fill(expected, 0, 4, (byte) 2);
        assertThat(bucket.get(KEYS.key(0))).hasValueSatisfying(b -> assertThat(b).isEqualTo(expected));
    }

    @Test
    void anObjectTheStoreHoldsIsWrittenAroundUntilItsWritesCoverIt() {
        table.load(List.of(1L));
        write(1, 4, filled(4, 9));
        ByteBuffer b = ByteBuffer.allocate(OBJECT);
        assertThat(table.readStaged(1, 0, b)).containsExactly(new WrittenRanges.Range(0, 4), new WrittenRanges.Range(8, OBJECT));
        write(1, 0, filled(4, 9));
        StagedObject e = write(1, 8, filled(8, 9));
        assertThat(e.ranges).as("written whole: the store's bytes are no longer needed").isNull();
        assertThat(readStaged(1)).isEqualTo(filled(OBJECT, 9));
    }

    @Test
    void theUploadOfAWrittenAroundObjectSendsTheStoresBytesInItsGaps() {
        bucket.put(KEYS.key(0), ByteBuffer.wrap(filled(OBJECT, 5)));
        table.load(List.of(0L));
        StagedObject e = write(0, 4, filled(4, 6));
        Supplier<ObjectUpload.Outcome> requests = table.begin(e);
        write(0, 0, filled(1, 6)); // a change during the upload: the copy keeps the gaps it had
        table.ended(e, requests.get());
        byte[] expected = filled(OBJECT, 5);
        Arrays.fill(expected, 4, 8, (byte) 6);
        assertThat(bucket.get(KEYS.key(0))).hasValueSatisfying(b -> assertThat(b).isEqualTo(expected));
        assertThat(e.ranges).as("the copy's gaps are still the store's").isNotNull();
        ByteBuffer staged = ByteBuffer.allocate(OBJECT);
        assertThat(table.readStaged(0, 0, staged)).containsExactly(new WrittenRanges.Range(1, 4), new WrittenRanges.Range(8, OBJECT));

        assertThat(upload(e).exists()).isTrue();
        assertThat(table.current(e)).isFalse();
        expected[0] = 6;
        assertThat(bucket.get(KEYS.key(0))).hasValueSatisfying(b -> assertThat(b).isEqualTo(expected));
    }

    @Test
    void aSuccessfulUploadOfTheLastChangeRemovesTheEntryGivesItsBytesBackAndIndexesIt() {
        StagedObject e = write(2, 0, filled(3, 4));
        assertThat(table.stored(2)).isFalse();
        assertThat(upload(e).exists()).isTrue();
        assertThat(table.current(e)).isFalse();
        assertThat(room.used()).isZero();
        assertThat(table.stored(2)).isTrue();
        assertThat(table.hasData(2)).isTrue();
        assertThat(table.readStaged(2, 0, ByteBuffer.allocate(1))).isNull();
    }

    @Test
    void aFailedUploadLeavesTheEntryAsDirtyAsItWas() {
        StagedObject e = write(2, 0, filled(3, 4));
        table.begin(e);
        table.ended(e, new ObjectUpload.Outcome(false, new RuntimeException("down")));
        assertThat(table.current(e)).isTrue();
        assertThat(table.wanted(e)).isTrue();
        assertThat(e.stored).isLessThan(e.written);
        assertThat(room.used()).isEqualTo(OBJECT);
        assertThat(e.uploading).isNull();
    }

    @Test
    void aDroppedObjectReadsAsZeroesUntilItsUploadDeletesItAndTheIndexForgetsIt() {
        bucket.put(KEYS.key(1), ByteBuffer.wrap(filled(OBJECT, 5)));
        table.load(List.of(1L));
        table.drop(1);
        assertThat(room.used()).as("a drop holds no array").isZero();
        assertThat(table.hasData(1)).isFalse();
        assertThat(readStaged(1)).isEqualTo(new byte[OBJECT]);
        StagedObject e = table.entries().iterator().next();
        assertThat(upload(e).exists()).isFalse();
        assertThat(bucket.get(KEYS.key(1))).isEmpty();
        assertThat(table.stored(1)).isFalse();
        assertThat(table.nextKnown(0)).isEqualTo(-1);
    }

    @Test
    void aDropCostsNothingForAnUnknownObjectAndGivesAStagedImageBack() {
        table.drop(3);
        assertThat(table.entries()).isEmpty();
        write(3, 0, filled(2, 1));
        table.drop(3);
        assertThat(room.used()).isZero();
        assertThat(table.hasData(3)).isFalse();
        assertThat(table.needsArray(3)).as("a dropped object's next write makes a whole new image").isTrue();
        StagedObject e = write(3, 8, filled(2, 1));
        assertThat(e.ranges).isNull();
    }

    @Test
    void nextKnownAndKnownFromMergeTheStagedAndTheStored() {
        table.load(List.of(1L, 5L, 9L));
        write(3, 0, filled(1, 1));
        write(5, 0, filled(1, 1));
        assertThat(table.nextKnown(0)).isEqualTo(1);
        assertThat(table.nextKnown(2)).isEqualTo(3);
        assertThat(table.nextKnown(6)).isEqualTo(9);
        assertThat(table.nextKnown(10)).isEqualTo(-1);
        assertThat(table.knownFrom(2)).containsExactly(3L, 5L, 9L);
    }

    @Test
    void clearGivesBackEveryByteIncludingACopyInFlight() {
        StagedObject e = write(0, 0, filled(4, 1));
        write(1, 0, filled(4, 1));
        table.begin(e);
        write(0, 0, filled(4, 2));
        assertThat(room.used()).isEqualTo(3 * OBJECT);
        table.clear();
        assertThat(room.used()).isZero();
        assertThat(table.entries()).isEmpty();
    }

    @Test
    void everyMethodButStoredRequiresTheLock() {
        assumeTrue(StagingTable.class.desiredAssertionStatus(), "assertions are off");
        lock.unlock();
        assertThat(table.stored(0)).isFalse();
        assertThatThrownBy(() -> table.hasData(0)).isInstanceOf(AssertionError.class);
        assertThatThrownBy(() -> table.needsArray(0)).isInstanceOf(AssertionError.class);
        assertThatThrownBy(() -> table.drop(0)).isInstanceOf(AssertionError.class);
        assertThatThrownBy(table::entries).isInstanceOf(AssertionError.class);
    }
}
