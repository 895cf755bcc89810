package io.blockhaus.engine.store;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MemoryStoreContractTest extends BackingStoreContractTest {

    /** Zeroing frees chunks, so NBD's FAST_ZERO is always honoured on memory. */
    @Test
    void zeroingIsAlwaysFast() {
        BackingStore s = create(1 << 20);
        assertThat(s.zeroesFast(false)).isTrue();
        assertThat(s.zeroesFast(true)).isTrue();
    }

    @Override
    protected BackingStore create(long size) {
        return new MemoryStore(size);
    }

    @Override
    protected boolean newStoreReportsHoles() {
        return true;
    }

    @Override
    protected boolean punchDeallocates() {
        return true;
    }
}
