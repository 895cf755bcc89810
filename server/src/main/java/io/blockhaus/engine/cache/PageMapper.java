package io.blockhaus.engine.cache;

/**
 * The cache's view of a mapping: it is told when a page it mapped leaves the cache (shootdown),
 * so the mapping's owner can be told its copy is stale. Called with the page lock held.
 */
public interface PageMapper {
    void pageRemoved(long index);
}
