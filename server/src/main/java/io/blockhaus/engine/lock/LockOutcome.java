package io.blockhaus.engine.lock;

/** How one acquisition attempt ended. */
public enum LockOutcome {
    ACQUIRED,
    TIMEOUT,
    /** Refused before waiting: the caller would have deadlocked on itself (see DESIGN.md rule 2). */
    EDEADLOCK,
    INTERRUPTED
}
