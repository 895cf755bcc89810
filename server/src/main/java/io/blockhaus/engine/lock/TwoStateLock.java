package io.blockhaus.engine.lock;

/** Placeholder until the lock lands; see PagecacheLock. */
public final class TwoStateLock implements PagecacheLock {
    TwoStateLock(LockListener listener) {
    }

    @Override public LockPolicy policy() { throw new UnsupportedOperationException(); }
    @Override public Hold acquire(LockMode mode, long firstPage, long endPage, long timeoutNanos) { throw new UnsupportedOperationException(); }
    @Override public Hold tryAcquire(LockMode mode, long firstPage, long endPage) { throw new UnsupportedOperationException(); }
    @Override public void reportDeadlock(LockMode mode) { throw new UnsupportedOperationException(); }
    @Override public int holders(LockMode mode) { throw new UnsupportedOperationException(); }
    @Override public int waiters(LockMode mode) { throw new UnsupportedOperationException(); }
}
