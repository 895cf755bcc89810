/**
 * The engine: volumes, handles, mappings and every I/O operation, implemented once over the
 * page cache, the pagecache lock and a backing store. Knows nothing of networks; front ends
 * call it and metrics listen to it.
 */
package io.blockhaus.engine;
