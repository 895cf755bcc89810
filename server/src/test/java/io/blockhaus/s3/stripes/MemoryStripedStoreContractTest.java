package io.blockhaus.s3.stripes;

import io.blockhaus.engine.store.BackingStore;
import io.blockhaus.engine.store.BackingStoreContractTest;
import io.blockhaus.s3.TestOwnership;
import io.blockhaus.s3.VolumeGeometry;
import io.blockhaus.s3.objects.MemoryObjectStore;
import io.blockhaus.s3.objects.ObjectStore;
import org.junit.jupiter.api.Nested;

import java.time.Duration;
import java.util.UUID;

/**
 * The BackingStore contract on {@link StripedStore} over a bucket in memory, in two shapes:
 * objects of one page, where holes are exact to the page as the suite's extent tests expect;
 * and objects of four pages, where every partial write is a read-modify-write and holes are
 * whole objects (so the suite's page-exact hole checks are off; StripedStoreTest checks holes).
 */
class MemoryStripedStoreContractTest {
    static final int PAGE = 4096;
    static final StripedStoreOptions OPTIONS = new StripedStoreOptions(4, 32L * PAGE, Duration.ofSeconds(10));

    static StripedStore open(ObjectStore bucket, long size, int objectSize) {
        return new StripedStore(bucket, "v-" + UUID.randomUUID() + "/", new VolumeGeometry(size, objectSize, PAGE),
                TestOwnership.owner(), OPTIONS);
    }

    @Nested
    class ObjectsOfOnePage extends BackingStoreContractTest {
        private final MemoryObjectStore bucket = new MemoryObjectStore();

        @Override
        protected BackingStore create(long size) {
            return open(bucket, size, PAGE);
        }

        @Override
        protected boolean newStoreReportsHoles() {
            return true;
        }

        @Override
        protected boolean punchDeallocates() {
            return true;
        }

        @Override
        protected boolean collapsesAndInserts() {
            return false;
        }
    }

    @Nested
    class ObjectsOfFourPages extends BackingStoreContractTest {
        private final MemoryObjectStore bucket = new MemoryObjectStore();

        @Override
        protected BackingStore create(long size) {
            return open(bucket, size, 4 * PAGE);
        }

        @Override
        protected boolean newStoreReportsHoles() {
            return false;
        }

        @Override
        protected boolean punchDeallocates() {
            return false;
        }

        @Override
        protected boolean collapsesAndInserts() {
            return false;
        }
    }
}
