/**
 * Backing stores: where a volume's bytes live once they leave the page cache.
 *
 * <ul>
 *   <li>{@link io.blockhaus.engine.store.SparseFileStore}: a sparse file. Every system call goes
 *       through {@link io.blockhaus.engine.store.NativeIo} (errno in a
 *       {@link io.blockhaus.engine.store.NativeIoException}), bound to glibc by
 *       {@link io.blockhaus.engine.store.FfmNativeIo} on one descriptor opened with open(2), so
 *       tests can play a kernel that refuses or fails (its pipe calls are in {@code FfmPipes},
 *       its residency probes in {@code FfmResidency}, what every libc call shares in
 *       {@code Libc}). fallocate runs through fallbacks that
 *       remember what the file system refused ({@code Fallocator}); collapse and insert fall
 *       back to a hole-preserving copy; the allocation map comes from SEEK_DATA / SEEK_HOLE.
 *       The store is a face over parts with one job each, sharing one {@code OpenFile} (the
 *       descriptor, its size and the lifecycle lock that keeps it open under a call):
 *       {@code SparseFileOpener} (create or open), {@code PositionalIo} (blocking reads and
 *       writes), {@code InMemoryProbes} (what an event loop may ask: RWF_NOWAIT reads,
 *       residency), {@code ZeroCopyTransfers} (the sendfile channel, splice from a pipe),
 *       {@code FileAllocation} (punch, zero, allocate), {@code FileResizing} (truncate,
 *       collapse, insert), {@code FileSync} (fsync, its failure sticky) and
 *       {@code AllocationMap} (extents); the system-call loops are {@code FileIo}'s.</li>
 *   <li>{@link io.blockhaus.engine.store.MemoryStore}: sparse chunks in memory, for tests and
 *       volumes that need no durability.</li>
 * </ul>
 *
 * <p>Both are checked against one contract suite, {@code BackingStoreContractTest}. A
 * {@link io.blockhaus.engine.store.Pipe} is the one thing here that is not a store: a kernel pipe
 * a front end fills from its socket and a file store splices from, so large writes need not pass
 * through the JVM. {@link io.blockhaus.engine.store.HugePageMemory} is the other: anonymous
 * memory in transparent huge pages, which the page cache's pool carves its slabs from.
 */
package io.blockhaus.engine.store;
