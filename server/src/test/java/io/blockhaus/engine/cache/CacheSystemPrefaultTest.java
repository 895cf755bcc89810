package io.blockhaus.engine.cache;

import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.engine.store.MemoryStore;
import org.junit.jupiter.api.Test;

/**
 * {@link CacheSystem#prefault} carves the pools of the page sizes in use up to the budget, split
 * evenly between them, so prefaulted memory never holds more than the budget in all.
 */
class CacheSystemPrefaultTest {
    private static final long MIB = 1L << 20;

    private static CacheSystem system(long budget) {
        return new CacheSystem(budget, 0.1, 0.4, 30_000_000_000L, 1_000_000_000L, System::nanoTime);
    }

    @Test
    void onePageSizeGetsTheWholeBudget() throws Exception {
        try (CacheSystem s = system(16 * MIB)) {
            s.newCache("a", new MemoryStore(MIB), 4096, () -> MIB);
            assertThat(s.prefault(2)).isEqualTo(15 * MIB); // the first slab came with the pool
            assertThat(s.carvedBytes()).isEqualTo(16 * MIB);
            assertThat(s.usedBytes()).as("carved is free memory, not budget used").isZero();
        }
    }

    @Test
    void twoPageSizesShareTheBudget() throws Exception {
        try (CacheSystem s = system(16 * MIB)) {
            s.newCache("small", new MemoryStore(MIB), 4096, () -> MIB);
            s.newCache("large", new MemoryStore(MIB), 65536, () -> MIB);
            s.prefault(3);
            assertThat(s.carvedBytes()).isEqualTo(16 * MIB);
            assertThat(s.pool(4096).carvedBytes()).isEqualTo(8 * MIB);
            assertThat(s.pool(65536).carvedBytes()).isEqualTo(8 * MIB);
        }
    }

    @Test
    void noVolumesNothingCarved() throws Exception {
        try (CacheSystem s = system(16 * MIB)) {
            assertThat(s.prefault(2)).isZero();
            assertThat(s.carvedBytes()).isZero();
        }
    }
}
