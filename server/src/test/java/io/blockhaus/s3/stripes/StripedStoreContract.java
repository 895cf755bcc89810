package io.blockhaus.s3.stripes;

import io.blockhaus.engine.store.BackingStore;
import io.blockhaus.engine.store.BackingStoreContractTest;
import io.blockhaus.s3.TestOwnership;
import io.blockhaus.s3.VolumeGeometry;
import io.blockhaus.s3.objects.MemoryObjectStore;
import io.blockhaus.s3.objects.ObjectStore;

import java.time.Duration;
import java.util.UUID;

/**
 * The BackingStore contract on {@link StripedStore}: each store a new volume in the bucket.
 * Holes are whole objects, so the suite's page-exact hole checks hold only for objects of one
 * page (StripedStoreTest checks holes at object granularity); collapse and insert are ENOTSUP.
 */
abstract class StripedStoreContract extends BackingStoreContractTest {
    static final int PAGE = 4096;
    static final StripedStoreOptions OPTIONS = new StripedStoreOptions(4, 32L * PAGE, Duration.ofSeconds(10));

    private final MemoryObjectStore memory = new MemoryObjectStore();

    /** The bucket volumes are made in: one in memory unless a subclass has another. */
    protected ObjectStore bucket() {
        return memory;
    }

    protected abstract int objectSize();

    @Override
    protected BackingStore create(long size) {
        return new StripedStore(bucket(), "v-" + UUID.randomUUID() + "/", new VolumeGeometry(size, objectSize(), PAGE),
                TestOwnership.owner(), OPTIONS);
    }

    @Override
    protected boolean newStoreReportsHoles() {
        return objectSize() == PAGE;
    }

    @Override
    protected boolean punchDeallocates() {
        return objectSize() == PAGE;
    }

    @Override
    protected boolean collapsesAndInserts() {
        return false;
    }
}
