package io.blockhaus.s3.stripes;

import io.blockhaus.s3.VolumeOwnership;
import io.blockhaus.s3.objects.ObjectStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

import java.time.Duration;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A staging table of small objects over a test's store, whose lock the test thread holds from
 * before each test to after it, as {@link ObjectStaging} holds it around each call (a test that
 * needs the lock free for another thread unlocks and locks again).
 */
abstract class LockedStagingTable {
    static final int OBJECT = 16;
    static final String VOLUME = "t/";
    static final DataKeys KEYS = DataKeys.under(VOLUME);

    final ReentrantLock lock = new ReentrantLock();
    final StagingRoom room = new StagingRoom(new StripedStoreOptions(2, 64 * OBJECT, Duration.ofSeconds(1)), VOLUME);
    final ZeroRuns zeroes = new ZeroRuns();
    long size = 4 * OBJECT;
    StagingTable table;

    abstract ObjectStore store();

    abstract VolumeOwnership ownership();

    @BeforeEach
    final void openAndLock() {
        table = new StagingTable(lock, OBJECT, () -> size, room, zeroes, new ObjectUpload(store(), KEYS, ownership(), zeroes));
        lock.lock();
    }

    @AfterEach
    final void unlock() {
        while (lock.isHeldByCurrentThread()) {
            lock.unlock();
        }
    }

    /** A change as {@link ObjectStaging#change} makes it: room taken first when the table needs an array. */
    StagedObject write(long index, int from, byte[] bytes) {
        if (table.needsArray(index)) {
            room.take(OBJECT, "");
        }
        return table.apply(index, from, bytes.length, image -> System.arraycopy(bytes, 0, image, from, bytes.length));
    }
}
