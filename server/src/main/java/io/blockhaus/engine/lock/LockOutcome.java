package io.blockhaus.engine.lock;

/** How one acquisition attempt ended. */
public enum LockOutcome {
    ACQUIRED,
    /** The lock's timeout, or the call's deadline if sooner, passed while waiting. */
    TIMEOUT,
    /** Refused before waiting: the caller would have deadlocked on itself (see DESIGN.md rule 2). */
    EDEADLOCK,
    INTERRUPTED,
    /** The caller's call was cancelled while it waited ({@link io.blockhaus.engine.call.CallBudget#cancel}). */
    CANCELLED
}
