package io.blockhaus.s3.stripes;

import org.junit.jupiter.api.Nested;

/**
 * The BackingStore contract on {@link StripedStore} over a bucket in memory, in two shapes:
 * objects of one page (holes exact to the page, as the suite's extent tests expect) and objects
 * of four pages (every partial write a read-modify-write).
 */
class MemoryStripedStoreContractTest {

    @Nested
    class ObjectsOfOnePage extends StripedStoreContract {
        @Override
        protected int objectSize() {
            return PAGE;
        }
    }

    @Nested
    class ObjectsOfFourPages extends StripedStoreContract {
        @Override
        protected int objectSize() {
            return 4 * PAGE;
        }
    }
}
