package io.blockhaus.engine.store;

class MemoryStoreContractTest extends BackingStoreContractTest {
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
