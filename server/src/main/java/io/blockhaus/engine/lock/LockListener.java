package io.blockhaus.engine.lock;

/**
 * Receives every acquisition of a volume's pagecache lock; the metrics binding implements it.
 * Called on the acquiring thread, outside the lock's internal mutex; implementations must be
 * fast and must not throw (a throwing listener is caught and ignored by the lock).
 */
public interface LockListener {

    LockListener NONE = new LockListener() {
        @Override
        public void acquired(LockMode mode, LockPolicy policy, long waitNanos, boolean contended) {
        }

        @Override
        public void released(LockMode mode, LockPolicy policy, long holdNanos) {
        }

        @Override
        public void failed(LockMode mode, LockPolicy policy, long waitNanos, LockOutcome outcome) {
        }

        @Override
        public boolean timed() {
            return false;
        }
    };

    /** The lock was granted after {@code waitNanos}; {@code contended} when the caller had to wait. */
    void acquired(LockMode mode, LockPolicy policy, long waitNanos, boolean contended);

    /** A hold ended after {@code holdNanos}. */
    void released(LockMode mode, LockPolicy policy, long holdNanos);

    /** An attempt ended without the lock: timeout, interrupt, or EDEADLOCK refusal. */
    void failed(LockMode mode, LockPolicy policy, long waitNanos, LockOutcome outcome);

    /**
     * Whether this listener wants wait and hold times. When false the lock skips reading the clock
     * on its uncontended path (two clock reads cost more than the lock itself) and reports zeroes.
     */
    default boolean timed() {
        return true;
    }
}
