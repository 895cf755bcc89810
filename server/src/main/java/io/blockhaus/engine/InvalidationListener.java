package io.blockhaus.engine;

/**
 * Told when pages of a mapping are shot down (direct write, fallocate, truncate): the owner's
 * copies of those pages are stale and the next access must fault again. Called with a page lock
 * held: implementations only record or enqueue, never call back into the engine.
 */
@FunctionalInterface
public interface InvalidationListener {
    InvalidationListener NONE = (mapping, firstPage, endPage) -> { };

    /** Pages {@code [firstPage, endPage)} of the volume (volume page indexes) left the mapping. */
    void invalidated(Mapping mapping, long firstPage, long endPage);
}
