package io.blockhaus.engine;

import io.blockhaus.engine.call.CallBudget;

/**
 * How an operation that invalidated a mapping's pages waits for the mapping's owner to drop its
 * copies: returned by the owner's {@link InvalidationListener}, and completed by the engine once
 * the operation has done its work and released its locks, before it returns to its caller
 * (recall before completion, DESIGN.md "Mappings over a network"). The engine only calls
 * {@link #complete}; what an acknowledgement is, and how long to wait for it, are the front
 * end's (gRPC: an ack over the handle's Watch stream, else the mapping is revoked after the
 * recall timeout).
 */
@FunctionalInterface
public interface Recall {
    /** Nothing to wait for: the owner's copies are gone when the listener returns (in-process mappings). */
    Recall DONE = () -> { };

    /**
     * Returns once the owner has dropped the invalidated pages, or has lost the mapping (revoked
     * after the owner's own timeout, so a dead owner delays the operation by at most that).
     * Never throws: the operation it completes has already happened.
     */
    void complete();

    /**
     * {@link #complete()} for a call with a budget: when {@code call}'s deadline passes or it is
     * cancelled before the owner answers, the owner's mapping is revoked at once, as after its
     * own timeout, and this returns. The operation has happened, so the wait cannot give up
     * "changing nothing"; revoking is what keeps the promise that once the operation's thread
     * leaves, no mapping shows the old bytes. In-process recalls ignore the budget (the default).
     */
    default void complete(CallBudget call) {
        complete();
    }
}
