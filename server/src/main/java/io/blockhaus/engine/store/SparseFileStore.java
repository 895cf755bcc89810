package io.blockhaus.engine.store;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.List;

/**
 * A {@link BackingStore} in a sparse file: one descriptor opened through {@link NativeIo}
 * (see {@link FfmNativeIo} for why one), positional I/O, fallocate with remembered fallbacks
 * ({@link Fallocator}) and SEEK_DATA / SEEK_HOLE for the allocation map.
 *
 * <p>This class is the store's face: its factories and the {@link BackingStore} contract, each
 * operation handed to the part that does that one job, all sharing one {@link OpenFile} (the
 * descriptor, its size and its lifecycle lock):
 * <ul>
 *   <li>{@link SparseFileOpener}: create or open the file, undo a half-done create;</li>
 *   <li>{@link PositionalIo}: blocking reads and writes, zeroes past the end of the file;</li>
 *   <li>{@link InMemoryProbes}: reads and residency questions that never wait (event loops);</li>
 *   <li>{@link ZeroCopyTransfers}: a channel to sendfile from, splice from a pipe;</li>
 *   <li>{@link FileAllocation}: punch, zero, allocate in place;</li>
 *   <li>{@link FileResizing}: truncate, collapse, insert, serialized among themselves;</li>
 *   <li>{@link FileSync}: fsync, with a failure that sticks;</li>
 *   <li>{@link AllocationMap}: the extents of a range.</li>
 * </ul>
 *
 * <p>Locking: every operation holds the read side of the descriptor's lifecycle lock, so
 * {@link #close()} (the write side) can never close the descriptor under a running call and let
 * the number be reused for another file ({@link OpenFile}). Size-changing operations are also
 * serialized among themselves ({@link FileResizing}); they run alongside reads and writes, which
 * the contract allows because the engine's pagecache lock keeps those below the operation's
 * offset.
 *
 * <p>Collapse and insert fall back to copying when the file system refuses them. The copy is
 * not atomic: a failure half-way (ENOSPC, EIO) leaves the tail partly moved, and is reported.
 */
public final class SparseFileStore implements BackingStore {
    private final OpenFile file;
    private final PositionalIo positional;
    private final InMemoryProbes probes;
    private final ZeroCopyTransfers zeroCopy;
    private final FileAllocation allocation;
    private final FileResizing resizing;
    private final FileSync sync;
    private final AllocationMap allocationMap;

    private SparseFileStore(OpenFile file) {
        this.file = file;
        // One Fallocator for both: what the file system refused is remembered once for the file.
        Fallocator fallocator = new Fallocator(file.file());
        this.positional = new PositionalIo(file);
        this.probes = new InMemoryProbes(file);
        this.zeroCopy = new ZeroCopyTransfers(file);
        this.allocation = new FileAllocation(file, fallocator);
        this.resizing = new FileResizing(file, fallocator);
        this.sync = new FileSync(file);
        this.allocationMap = new AllocationMap(file);
    }

    /** Creates a new sparse file of {@code size} bytes (all hole); fails if it exists. */
    public static SparseFileStore create(Path path, long size) {
        return create(FfmNativeIo.instance(), path, size);
    }

    /** As {@link #create(Path, long)}, with the given system calls (tests inject failures here). */
    public static SparseFileStore create(NativeIo io, Path path, long size) {
        return new SparseFileStore(SparseFileOpener.create(io, path, size));
    }

    /** Opens an existing file read-write; its length is the store's size. */
    public static SparseFileStore open(Path path) {
        return open(FfmNativeIo.instance(), path, false);
    }

    /**
     * Opens an existing file for reading only (O_RDONLY): a read-only export of an image the
     * server may not write, or on a read-only file system. Every change fails with EROFS before
     * it reaches the file.
     */
    public static SparseFileStore openReadOnly(Path path) {
        return open(FfmNativeIo.instance(), path, true);
    }

    /** As {@link #open(Path)} or {@link #openReadOnly(Path)}, with the given system calls. */
    public static SparseFileStore open(NativeIo io, Path path, boolean readOnly) {
        return new SparseFileStore(SparseFileOpener.open(io, path, readOnly));
    }

    public Path path() {
        return file.path();
    }

    @Override
    public long size() {
        return file.size();
    }

    @Override
    public int blockAlignment() {
        return file.blockAlignment();
    }

    @Override
    public void read(long offset, ByteBuffer dst) {
        positional.read(offset, dst);
    }

    /** One pread straight into the segment (no buffer view, no slice) when it lies inside the file. */
    @Override
    public void read(long offset, MemorySegment dst) {
        if (!dst.isNative()) {
            BackingStore.super.read(offset, dst); // a heap segment: the buffer path's bounce
            return;
        }
        positional.readNative(offset, dst);
    }

    /** One preadv for direct buffers; heap or read-only buffers take the per-buffer path. */
    @Override
    public void read(long offset, ByteBuffer[] dsts) {
        if (!positional.readDirect(offset, dsts)) {
            BackingStore.super.read(offset, dsts);
        }
    }

    @Override
    public boolean readIfInMemory(long offset, ByteBuffer[] dsts) {
        return probes.readIfInMemory(offset, dsts);
    }

    @Override
    public boolean readIfInMemory(long offset, MemorySegment dst) {
        return probes.readIfInMemory(offset, dst);
    }

    @Override
    public boolean isInMemory(long offset, long length) {
        return probes.isInMemory(offset, length);
    }

    @Override
    public void write(long offset, ByteBuffer src) {
        positional.write(offset, new ByteBuffer[] {src});
    }

    @Override
    public void write(long offset, ByteBuffer[] srcs) {
        positional.write(offset, srcs);
    }

    @Override
    public FileChannel channelForSending() {
        return zeroCopy.channelForSending();
    }

    @Override
    public boolean writesFromPipes() {
        return zeroCopy.writesFromPipes();
    }

    @Override
    public boolean writeFrom(long offset, Pipe pipe, long length) {
        return zeroCopy.writeFrom(offset, pipe, length);
    }

    @Override
    public void punchHole(long offset, long length) {
        allocation.punchHole(offset, length);
    }

    @Override
    public void zeroRange(long offset, long length) {
        allocation.zeroRange(offset, length);
    }

    @Override
    public void allocate(long offset, long length) {
        allocation.allocate(offset, length);
    }

    @Override
    public boolean zeroesFast(boolean keepAllocated) {
        return allocation.zeroesFast(keepAllocated);
    }

    @Override
    public void collapseRange(long offset, long length) {
        resizing.collapseRange(offset, length);
    }

    @Override
    public void insertRange(long offset, long length) {
        resizing.insertRange(offset, length);
    }

    @Override
    public void truncate(long newSize) {
        resizing.truncate(newSize);
    }

    @Override
    public void force() {
        sync.force();
    }

    @Override
    public List<Extent> extents(long offset, long length, int maxExtents) {
        return allocationMap.extents(offset, length, maxExtents);
    }

    @Override
    public void close() {
        file.close(zeroCopy::closeSendChannel);
    }
}
