package io.blockhaus.engine.lock;

/**
 * Wraps a {@link LockListener} so that a throwing listener can never leave the lock held,
 * half-released or a waiter stranded: every call happens after the lock's own state is settled,
 * and whatever it throws is dropped. Metrics are never worth failing an I/O for.
 */
final class GuardedListener implements LockListener {
    private final LockListener delegate;

    private GuardedListener(LockListener delegate) {
        this.delegate = delegate;
    }

    /** The no-op listener cannot throw, so it stays unwrapped (one less indirection on the hot path); nor is a fan-out wrapped twice. */
    static LockListener guard(LockListener listener) {
        if (listener == null) {
            throw new NullPointerException("listener (use LockListener.NONE)");
        }
        if (listener == LockListener.NONE || listener instanceof GuardedListener
                || listener instanceof FanOutLockListener) { // a fan-out guards each of its listeners
            return listener;
        }
        return new GuardedListener(listener);
    }

    @Override
    public void acquired(LockMode mode, LockPolicy policy, long waitNanos, boolean contended) {
        try {
            delegate.acquired(mode, policy, waitNanos, contended);
        } catch (Throwable ignored) {
            // see class comment
        }
    }

    @Override
    public void released(LockMode mode, LockPolicy policy, long holdNanos) {
        try {
            delegate.released(mode, policy, holdNanos);
        } catch (Throwable ignored) {
            // see class comment
        }
    }

    @Override
    public void failed(LockMode mode, LockPolicy policy, long waitNanos, LockOutcome outcome) {
        try {
            delegate.failed(mode, policy, waitNanos, outcome);
        } catch (Throwable ignored) {
            // see class comment
        }
    }

    @Override
    public void modeSwitched(LockMode to, LockPolicy policy) {
        try {
            delegate.modeSwitched(to, policy);
        } catch (Throwable ignored) {
            // see class comment
        }
    }

    @Override
    public void waited(LockMode mode, LockPolicy policy, long firstPage, long endPage, long waitNanos,
            LockOutcome outcome) {
        try {
            delegate.waited(mode, policy, firstPage, endPage, waitNanos, outcome);
        } catch (Throwable ignored) {
            // see class comment
        }
    }

    /** A listener that cannot say whether it wants times gets them. */
    @Override
    public boolean timed() {
        try {
            return delegate.timed();
        } catch (Throwable ignored) {
            return true;
        }
    }
}
