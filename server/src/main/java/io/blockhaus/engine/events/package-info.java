/**
 * What the engine tells listeners as it works, per volume: cache hits, misses, evictions and
 * shootdowns ({@link io.blockhaus.engine.events.CacheListener}), readahead
 * ({@link io.blockhaus.engine.events.ReadaheadListener}) and writeback
 * ({@link io.blockhaus.engine.events.WritebackListener}); the pagecache lock's own listener
 * stays in {@code engine.lock}. {@link io.blockhaus.engine.events.VolumeListeners} bundles the
 * four for {@code Engine.open}. Plain interfaces with no-op defaults and a {@code NONE} each:
 * the engine knows nothing of Micrometer, and a volume opened without listeners pays a call the
 * JIT removes.
 */
package io.blockhaus.engine.events;
