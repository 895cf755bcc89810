/**
 * The page cache: pages and their locks and flags (page objects recycled with their frames:
 * {@link io.blockhaus.engine.cache.Page}), the per-volume page index
 * ({@link io.blockhaus.engine.cache.PageIndex}) and the operations on it (lookups and removal in
 * {@link io.blockhaus.engine.cache.PageCache}, misses in {@code PageInserts}, fills in
 * {@code PageFills}, dirty pages and writeback runs in {@code PageWriteback}), and what all
 * volumes share, wired together by {@link io.blockhaus.engine.cache.CacheSystem}: the memory budget,
 * finding memory when it is full ({@code DirectReclaim}: reclaim, pageout, waits), eviction
 * ({@code PageClock}), background writeback and dirty throttling ({@code DirtyThrottle}), and
 * writeback failures (reported per handle like errseq_t, retried with backoff).
 */
package io.blockhaus.engine.cache;
