package io.blockhaus.engine;

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
}
