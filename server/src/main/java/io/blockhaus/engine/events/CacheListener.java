package io.blockhaus.engine.events;

/**
 * One volume's page-cache events. Called on the thread doing the work, often with page locks
 * held and sometimes on a front end's event loop, so an implementation must be a few counter
 * increments: no lock, no I/O, no allocation, never a throw. Counts come in batches (one call
 * per read, not per page) so the cached read path pays one call whatever its length.
 */
public interface CacheListener {

    /** Listens to nothing; the engine's default. */
    CacheListener NONE = new CacheListener() {
    };

    /** A read (buffered, or inline on an event loop) found {@code pages} of its pages resident. */
    default void hits(int pages) {
    }

    /** A read had to fill {@code pages} of its own pages (readahead pages are not misses). */
    default void misses(int pages) {
    }

    /** Reclaim evicted {@code pages} clean, unmapped pages. */
    default void evicted(int pages) {
    }

    /** A shootdown dropped {@code pages} pages. */
    default void invalidated(InvalidationReason reason, int pages) {
    }

    /** Write-and-invalidate wrote {@code pages} dirty pages back before dropping them. */
    default void invalidateWritten(int pages) {
    }

    /** An operation waited for {@code recalls} mappings to drop pages it changed (recall before completion). */
    default void recalled(int recalls) {
    }

    /** A mapping was lost while its recall was awaited: revoked after the recall timeout. */
    default void revoked() {
    }

    /** An allocation waited {@code nanos} for free cache memory (every page was pinned), then got it or ENOMEM. */
    default void memoryWaited(long nanos) {
    }

    /** The volume closed: no event follows (a binder drops what it registered). */
    default void closed() {
    }
}
