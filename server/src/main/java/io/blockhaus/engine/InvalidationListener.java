package io.blockhaus.engine;

/**
 * Told when pages of a mapping are shot down (direct write, fallocate, truncate) or changed in
 * place by someone else (a buffered write, a store through another mapping, an edge page zeroed
 * in place): the owner's copies of those pages are stale and the next access must fault again.
 * Called with a page lock held: implementations only record or enqueue, never call back into the
 * engine, and return how the operation that caused it waits for the owner ({@link Recall}).
 */
@FunctionalInterface
public interface InvalidationListener {
    InvalidationListener NONE = (mapping, firstPage, endPage) -> Recall.DONE;

    /** Pages {@code [firstPage, endPage)} of the volume (volume page indexes) left the mapping. */
    Recall invalidated(Mapping mapping, long firstPage, long endPage);
}
