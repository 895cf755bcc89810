package io.blockhaus.engine.lock;

import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;

/** Argument checks and the errors an acquisition can end with, shared by both policies. */
final class LockErrors {
    private LockErrors() {
    }

    /** Both policies check ranges the same way so that callers cannot come to rely on TWO_STATE ignoring them. */
    static void checkRange(LockMode mode, long firstPage, long endPage) {
        if (mode == null) {
            throw new NullPointerException("mode");
        }
        if (firstPage < 0 || endPage <= firstPage) {
            throw new IllegalArgumentException("bad page range [" + firstPage + ", " + endPage + ")");
        }
    }

    static ErrnoException timedOut(LockMode mode, LockPolicy policy, long timeoutNanos) {
        return new ErrnoException(Errno.ETIMEDOUT,
                "pagecache lock (" + policy.label() + ") not granted in " + mode + " mode within "
                        + timeoutNanos + " ns");
    }

    /** The request would wait for a hold its own thread has (see the policies' "waiting for oneself"). */
    static ErrnoException deadlock(LockMode mode, LockPolicy policy, long firstPage, long endPage) {
        return new ErrnoException(Errno.EDEADLOCK,
                "pagecache lock (" + policy.label() + "): " + mode + " on pages [" + firstPage + ", "
                        + (endPage == Long.MAX_VALUE ? "end" : endPage) + ") would wait for a hold of this same thread");
    }

    /** The call's deadline, shorter than the lock's timeout, ended the wait. */
    static ErrnoException deadlinePassed(LockMode mode, LockPolicy policy) {
        return new ErrnoException(Errno.ETIMEDOUT,
                "the call's deadline passed while waiting for the pagecache lock (" + policy.label() + ") in "
                        + mode + " mode");
    }

    /** The call was cancelled while it waited: EINTR, as a killable wait answers a killed task. */
    static ErrnoException cancelled(LockMode mode, LockPolicy policy) {
        return new ErrnoException(Errno.EINTR,
                "the call was cancelled while waiting for the pagecache lock (" + policy.label() + ") in "
                        + mode + " mode");
    }

    /**
     * The error for an attempt that ended with {@code outcome}; a timeout is the call's deadline
     * when the call, not the lock's timeout, ended it.
     */
    static ErrnoException of(LockOutcome outcome, LockMode mode, LockPolicy policy, long first, long end,
            long timeoutNanos, boolean callsDeadline) {
        return switch (outcome) {
            case INTERRUPTED -> interrupted(mode, policy);
            case CANCELLED -> cancelled(mode, policy);
            case EDEADLOCK -> deadlock(mode, policy, first, end);
            case TIMEOUT -> callsDeadline ? deadlinePassed(mode, policy) : timedOut(mode, policy, timeoutNanos);
            case ACQUIRED -> throw new IllegalArgumentException("not a failure: " + outcome);
        };
    }

    static ErrnoException interrupted(LockMode mode, LockPolicy policy) {
        return new ErrnoException(Errno.EINTR,
                "interrupted while waiting for the pagecache lock (" + policy.label() + ") in " + mode + " mode");
    }
}
