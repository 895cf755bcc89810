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
     * A grant of {@code to} when the previous grant of this lock was of the other mode (the lock
     * starts as if ADD was granted last). A batch of waiters granted at once is one switch.
     * Called on the granted thread just after {@link #acquired}. Under {@link LockPolicy#RANGE}
     * "previous grant" is the volume's, whatever its range: how often the volume's traffic
     * alternates between inserting and shooting down.
     */
    default void modeSwitched(LockMode to, LockPolicy policy) {
    }

    /**
     * A request that had to wait, or was refused when it would have had to: called once per slow
     * path only (never for an uncontended grant), after {@link #acquired} or {@link #failed},
     * with the request's page range {@code [firstPage, endPage)} ({@code endPage} may be
     * {@link Long#MAX_VALUE}: to the end) and its real wait, measured whether or not
     * {@link #timed()} (the slow path reads the clock anyway). For who-waited-on-whom records
     * (a JFR event); counting belongs in {@code acquired}/{@code failed}.
     */
    default void waited(LockMode mode, LockPolicy policy, long firstPage, long endPage, long waitNanos,
            LockOutcome outcome) {
    }

    /**
     * Whether this listener wants wait and hold times. When false the lock skips reading the clock
     * on its uncontended path (two clock reads cost more than the lock itself) and reports zeroes.
     */
    default boolean timed() {
        return true;
    }
}
