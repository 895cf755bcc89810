package io.blockhaus.s3.objects;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

import static org.assertj.core.api.Assertions.assertThat;

/** The contract on the test double, in both of its modes, and the clock it plays. */
class MemoryObjectStoreContractTest {

    /** Ownership tests age objects by this double's clock: Last-Modified and Date must come from it. */
    @Test
    void lastModifiedAndTheStoresTimeComeFromTheGivenClock() {
        Instant stored = Instant.parse("2026-01-02T03:04:05Z");
        MemoryObjectStore s = new MemoryObjectStore(true, Clock.fixed(stored, ZoneOffset.UTC));
        s.put("k", ByteBuffer.wrap(new byte[] {1, 2, 3}));
        Head head = s.head("k");
        assertThat(head.storeTime()).isEqualTo(stored);
        assertThat(head.object()).hasValueSatisfying(o -> {
            assertThat(o.lastModified()).isEqualTo(stored);
            assertThat(o.size()).isEqualTo(3);
        });
        assertThat(s.head("missing").object()).isEmpty();
        assertThat(s.head("missing").storeTime()).isEqualTo(stored);
    }

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
