/**
 * The page cache: pages and their locks and flags, the per-volume page index, the memory budget
 * shared by all volumes, eviction, background writeback and dirty throttling, readahead, and
 * writeback failures (reported per handle like errseq_t, retried with backoff).
 */
package io.blockhaus.engine.cache;
