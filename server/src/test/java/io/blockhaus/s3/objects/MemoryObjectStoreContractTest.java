package io.blockhaus.s3.objects;

import org.junit.jupiter.api.Nested;

import java.time.Clock;

/** The contract on the test double, in both of its modes. */
class MemoryObjectStoreContractTest {

    @Nested
    class HonouringCreateOnly extends ObjectStoreContractTest {
        @Override
        protected ObjectStore open() {
            return new MemoryObjectStore(true, Clock.systemUTC());
        }

        @Override
        protected boolean honoursCreateOnly() {
            return true;
        }
    }

    @Nested
    class IgnoringCreateOnly extends ObjectStoreContractTest {
        @Override
        protected ObjectStore open() {
            return new MemoryObjectStore(false, Clock.systemUTC());
        }

        @Override
        protected boolean honoursCreateOnly() {
            return false;
        }
    }
}
