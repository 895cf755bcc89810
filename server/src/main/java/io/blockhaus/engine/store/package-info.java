/**
 * Backing stores: where a volume's bytes live once they leave the page cache. A sparse file
 * (positional I/O, fallocate and SEEK_DATA/SEEK_HOLE through the FFM API, with fallbacks) and a
 * sparse in-memory store for tests.
 */
package io.blockhaus.engine.store;
