/**
 * The engine: volumes, handles, mappings and every I/O operation, implemented once over the
 * page cache, the pagecache lock and a backing store. Knows nothing of networks; front ends
 * call it and metrics listen to it.
 *
 * <p>Buffered I/O enters through {@code BufferedIo}, which checks a call and sends it around the
 * cache ({@code StreamBypass}) or through it: {@code CachedRead} and {@code CachedWrite} for a
 * caller that may wait, {@code NonBlockingRead} and {@code NonBlockingWrite} for an event loop
 * that must not (done now or not at all); {@code PageCopy} copies between buffers and locked
 * pages for all of them. Direct I/O is {@code DirectIo}'s, fallocate and truncate
 * {@code SpaceOps}', readahead {@code ReadaheadState} and {@code Readahead}'s.
 */
package io.blockhaus.engine;
