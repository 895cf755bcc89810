package io.blockhaus.engine.store;

import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A {@link BackingStore} in a sparse file: one descriptor opened through {@link NativeIo}
 * (see {@link FfmNativeIo} for why one), positional I/O, fallocate with remembered fallbacks
 * ({@link Fallocator}) and SEEK_DATA / SEEK_HOLE for the allocation map.
 *
 * <p>Locking: every operation holds the read side of {@code lifecycle}, so {@link #close()} (the
 * write side) can never close the descriptor under a running call and let the number be reused
 * for another file. Size-changing operations (truncate, collapse, insert) are also serialized
 * among themselves by {@code resize}; they run alongside reads and writes, which the contract
 * allows because the engine's pagecache lock keeps those below the operation's offset.
 *
 * <p>Collapse and insert fall back to copying when the file system refuses them. The copy is
 * not atomic: a failure half-way (ENOSPC, EIO) leaves the tail partly moved, and is reported.
 */
public final class SparseFileStore implements BackingStore {
    private static final int DEFAULT_BLOCK = 4096;
    private static final int MAX_BLOCK = 1 << 20;

    private final NativeIo io;
    private final Path path;
    private final FileIo file;
    private final Fallocator fallocator;
    private final int blockAlignment;
    private final boolean readOnly;
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private final ReentrantLock resize = new ReentrantLock();
    private volatile long size;
    private boolean closed; // guarded by lifecycle's write lock
    /** Once fsync fails the kernel may have dropped the dirty pages: no later fsync can vouch for them. */
    private volatile NativeIoException syncFailure;
    /** See {@link #channelForSending()}: opened on first use; guarded by {@code this}. */
    private java.nio.channels.FileChannel sendChannel;
    private boolean sendChannelFailed;
    /** False once splice(2) into this file was refused: writes from pipes then go the copying way. */
    private volatile boolean canSplice = true;
    /** False once the system calls said they cannot tell residency: nothing is then known to be in memory. */
    private volatile boolean canCachestat = true;

    private SparseFileStore(NativeIo io, Path path, int fd, long size, int blockAlignment, boolean readOnly) {
        this.io = io;
        this.readOnly = readOnly;
        this.path = path;
        this.file = new FileIo(io, fd);
        this.fallocator = new Fallocator(file);
        this.size = size;
        this.blockAlignment = blockAlignment;
    }

    /** Creates a new sparse file of {@code size} bytes (all hole); fails if it exists. */
    public static SparseFileStore create(Path path, long size) {
        return create(FfmNativeIo.instance(), path, size);
    }

    /** As {@link #create(Path, long)}, with the given system calls (tests inject failures here). */
    public static SparseFileStore create(NativeIo io, Path path, long size) {
        if (size < 0) {
            throw new ErrnoException(Errno.EINVAL, "negative size " + size + " for " + path);
        }
        int fd;
        try {
            fd = io.open(path, NativeIo.O_RDWR | NativeIo.O_CREAT | NativeIo.O_EXCL | NativeIo.O_CLOEXEC, 0644);
        } catch (NativeIoException e) {
            throw e.toErrnoException("create " + path);
        }
        try {
            io.ftruncate(fd, size); // a hole: no blocks are written
            return new SparseFileStore(io, path, fd, size, blockSize(io, fd), false);
        } catch (NativeIoException e) {
            closeQuietly(io, fd);
            deleteQuietly(path);
            throw e.toErrnoException("create " + path + " with size " + size);
        }
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
        int fd;
        try {
            fd = io.open(path, (readOnly ? NativeIo.O_RDONLY : NativeIo.O_RDWR) | NativeIo.O_CLOEXEC, 0);
        } catch (NativeIoException e) {
            throw e.toErrnoException("open " + path + (readOnly ? " for reading" : ""));
        }
        try {
            long size = io.lseek(fd, 0, NativeIo.SEEK_END);
            return new SparseFileStore(io, path, fd, size, blockSize(io, fd), readOnly);
        } catch (NativeIoException e) {
            closeQuietly(io, fd);
            throw e.toErrnoException("open " + path);
        }
    }

    /** fstatfs's block size when it is a sane power of two, else 4096: it only sets alignment. */
    private static int blockSize(NativeIo io, int fd) {
        try {
            int b = io.blockSize(fd);
            return b >= 512 && b <= MAX_BLOCK && Integer.bitCount(b) == 1 ? b : DEFAULT_BLOCK;
        } catch (NativeIoException e) {
            return DEFAULT_BLOCK;
        }
    }

    private static void closeQuietly(NativeIo io, int fd) {
        try {
            io.close(fd);
        } catch (NativeIoException ignored) {
            // Already failing with the error that matters; the descriptor is released regardless.
        }
    }

    private static void deleteQuietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (java.io.IOException ignored) {
            // Best effort: we created it a moment ago and the create is being reported as failed.
        }
    }

    public Path path() {
        return path;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public int blockAlignment() {
        return blockAlignment;
    }

    @Override
    public void read(long offset, ByteBuffer dst) {
        int n = dst.remaining();
        StoreArguments.checkReadInto(offset, dst);
        enter();
        try {
            int fromFile = Math.clamp(size - offset, 0, n);
            if (fromFile > 0) {
                file.readFully(offset, dst, fromFile);
            }
            Zeroes.fill(dst);
        } catch (NativeIoException e) {
            throw e.toErrnoException("read " + n + " bytes at " + offset + " of " + path);
        } finally {
            exit();
        }
    }

    /** One pread straight into the segment (no buffer view, no slice) when it lies inside the file. */
    @Override
    public void read(long offset, MemorySegment dst) {
        if (!dst.isNative()) {
            BackingStore.super.read(offset, dst); // a heap segment: the buffer path's bounce
            return;
        }
        long n = dst.byteSize();
        StoreArguments.checkReadRange(offset, n);
        if (dst.isReadOnly()) {
            throw StoreArguments.einval("read into a read-only segment");
        }
        enter();
        try {
            long fromFile = Math.clamp(size - offset, 0, n);
            if (fromFile == n) {
                file.readFully(offset, dst);
            } else {
                if (fromFile > 0) {
                    file.readFully(offset, dst.asSlice(0, fromFile));
                }
                dst.asSlice(fromFile).fill((byte) 0); // past the end of the file
            }
        } catch (NativeIoException e) {
            throw e.toErrnoException("read " + n + " bytes at " + offset + " of " + path);
        } finally {
            exit();
        }
    }

    /**
     * Scatter read: one preadv for up to IOV_MAX direct buffers (the page cache fills a run of
     * pages this way: 256 pages, one system call). Heap buffers take the per-buffer path.
     */
    @Override
    public void read(long offset, ByteBuffer[] dsts) {
        long total = 0;
        for (ByteBuffer dst : dsts) {
            if (!dst.isDirect() || dst.isReadOnly()) {
                BackingStore.super.read(offset, dsts);
                return;
            }
            total += dst.remaining();
        }
        StoreArguments.checkReadRange(offset, total);
        enter();
        try {
            long fromFile = Math.clamp(size - offset, 0, total);
            java.util.List<MemorySegment> segs = new java.util.ArrayList<>(dsts.length);
            long planned = 0;
            for (ByteBuffer dst : dsts) {
                long take = Math.min(dst.remaining(), fromFile - planned);
                if (take > 0) {
                    segs.add(MemorySegment.ofBuffer(dst).asSlice(0, take));
                    planned += take;
                }
            }
            if (!segs.isEmpty()) {
                file.readFully(offset, segs.toArray(MemorySegment[]::new));
            }
            long skip = fromFile;
            for (ByteBuffer dst : dsts) {
                int fromHere = (int) Math.min(dst.remaining(), skip);
                skip -= fromHere;
                dst.position(dst.position() + fromHere);
                Zeroes.fill(dst); // past the end of the file
            }
        } catch (NativeIoException e) {
            throw e.toErrnoException("read " + total + " bytes at " + offset + " of " + path);
        } finally {
            exit();
        }
    }

    /** One preadv2(RWF_NOWAIT) of whole direct buffers inside the file; anything else answers false. */
    @Override
    public boolean readIfInMemory(long offset, ByteBuffer[] dsts) {
        MemorySegment[] segs = new MemorySegment[dsts.length];
        long total = 0;
        for (int i = 0; i < dsts.length; i++) {
            ByteBuffer dst = dsts[i];
            if (!dst.isDirect() || dst.isReadOnly()) {
                return false;
            }
            segs[i] = MemorySegment.ofBuffer(dst);
            total += dst.remaining();
        }
        if (offset < 0 || offset > size - total) {
            return false; // bytes past the end are zero-filled by read(), not worth a fast path
        }
        if (!lifecycle.readLock().tryLock()) {
            return false; // closing: the blocking path reports it
        }
        try {
            if (closed || !file.readFullyIfInMemory(offset, segs)) {
                return false;
            }
        } catch (NativeIoException e) {
            throw e.toErrnoException("read " + total + " bytes at " + offset + " of " + path);
        } finally {
            exit();
        }
        for (ByteBuffer dst : dsts) {
            dst.position(dst.limit());
        }
        return true;
    }

    /** {@link #readIfInMemory(long, ByteBuffer[])} of one native segment: one preadv2, no buffer views. */
    @Override
    public boolean readIfInMemory(long offset, MemorySegment dst) {
        long n = dst.byteSize();
        if (!dst.isNative() || dst.isReadOnly() || offset < 0 || offset > size - n) {
            return false; // as the scatter form: bytes past the end are not worth a fast path
        }
        if (!lifecycle.readLock().tryLock()) {
            return false; // closing: the blocking path reports it
        }
        try {
            return !closed && file.readFullyIfInMemory(offset, new MemorySegment[] {dst});
        } catch (NativeIoException e) {
            throw e.toErrnoException("read " + n + " bytes at " + offset + " of " + path);
        } finally {
            exit();
        }
    }

    @Override
    public void write(long offset, ByteBuffer src) {
        write(offset, new ByteBuffer[] {src});
    }

    /** Gather write: one pwritev per megabyte of heap data (direct buffers are passed as they are). */
    @Override
    public void write(long offset, ByteBuffer[] srcs) {
        long total = 0;
        for (ByteBuffer src : srcs) {
            total += src.remaining(); // at most 2^31 buffers of 2^31 bytes: cannot overflow
        }
        enterForChange();
        try {
            checkRange("write", offset, total);
            file.writeFully(offset, srcs);
        } catch (NativeIoException e) {
            throw e.toErrnoException("write " + total + " bytes at " + offset + " of " + path);
        } finally {
            exit();
        }
    }

    /**
     * Opened through /proc/self/fd on our own descriptor, not by path: a path can have been
     * renamed or replaced since the store opened it, and sending another file's bytes would be
     * the worst kind of wrong. Read-only; where /proc is missing, null (the copying path stays).
     */
    @Override
    public synchronized java.nio.channels.FileChannel channelForSending() {
        if (sendChannel == null && !sendChannelFailed && !closed) {
            try {
                sendChannel = java.nio.channels.FileChannel.open(Path.of("/proc/self/fd/" + file.fd()),
                        java.nio.file.StandardOpenOption.READ);
            } catch (java.io.IOException | UnsupportedOperationException e) {
                sendChannelFailed = true;
            }
        }
        return sendChannel;
    }

    @Override
    public boolean writesFromPipes() {
        return !readOnly && canSplice;
    }

    @Override
    public boolean writeFrom(long offset, Pipe pipe, long length) {
        if (!canSplice) {
            return false;
        }
        enterForChange();
        long before = pipe.buffered();
        try {
            checkRange("write", offset, length);
            pipe.spliceTo(io, file.fd(), offset, length);
            return true;
        } catch (NativeIoException e) {
            if (pipe.buffered() == before && (e.errno() == NativeIoException.EINVAL || e.isUnsupported())) {
                canSplice = false; // a file system without splice_write: say so once, then never try again
                return false;
            }
            throw e.toErrnoException("write " + length + " bytes at " + offset + " of " + path + " from a pipe");
        } finally {
            exit();
        }
    }

    @Override
    public void punchHole(long offset, long length) {
        enterForChange();
        try {
            checkRange("punch hole", offset, length);
            if (length > 0) {
                fallocator.punchHole(offset, length);
            }
        } catch (NativeIoException e) {
            throw e.toErrnoException("punch hole " + offset + "+" + length + " of " + path);
        } finally {
            exit();
        }
    }

    @Override
    public void zeroRange(long offset, long length) {
        enterForChange();
        try {
            checkRange("zero range", offset, length);
            if (length > 0) {
                fallocator.zeroRange(offset, length);
            }
        } catch (NativeIoException e) {
            throw e.toErrnoException("zero range " + offset + "+" + length + " of " + path);
        } finally {
            exit();
        }
    }

    @Override
    public void allocate(long offset, long length) {
        enterForChange();
        try {
            checkRange("allocate", offset, length);
            if (length > 0) {
                fallocator.allocate(offset, length);
            }
        } catch (NativeIoException e) {
            throw e.toErrnoException("allocate " + offset + "+" + length + " of " + path);
        } finally {
            exit();
        }
    }

    @Override
    public void collapseRange(long offset, long length) {
        enterForChange();
        resize.lock();
        try {
            long oldSize = size;
            checkAligned("collapse range", offset, length);
            if (offset >= oldSize - length) { // also catches length > oldSize, without overflow
                throw einval("collapse range " + offset + "+" + length + " must end before the end (" + oldSize + ")");
            }
            if (length == 0) {
                return;
            }
            if (!fallocator.collapseNatively(offset, length)) {
                fallocator.move(offset + length, offset, oldSize - offset - length);
                io.ftruncate(file.fd(), oldSize - length);
            }
            size = oldSize - length;
        } catch (NativeIoException e) {
            resyncSize();
            throw e.toErrnoException("collapse range " + offset + "+" + length + " of " + path);
        } finally {
            resize.unlock();
            exit();
        }
    }

    @Override
    public void insertRange(long offset, long length) {
        enterForChange();
        resize.lock();
        try {
            long oldSize = size;
            checkAligned("insert range", offset, length);
            if (offset >= oldSize || length > Long.MAX_VALUE - oldSize) {
                throw einval("insert range " + offset + "+" + length + " must start below the end (" + oldSize + ")");
            }
            if (length == 0) {
                return;
            }
            if (!fallocator.insertNatively(offset, length)) {
                io.ftruncate(file.fd(), oldSize + length);
                fallocator.move(offset, offset + length, oldSize - offset);
                fallocator.punchHole(offset, length);
            }
            size = oldSize + length;
        } catch (NativeIoException e) {
            resyncSize();
            throw e.toErrnoException("insert range " + offset + "+" + length + " of " + path);
        } finally {
            resize.unlock();
            exit();
        }
    }

    @Override
    public void truncate(long newSize) {
        enterForChange();
        resize.lock();
        try {
            if (newSize < 0) {
                throw einval("truncate to negative size " + newSize);
            }
            io.ftruncate(file.fd(), newSize);
            size = newSize;
        } catch (NativeIoException e) {
            throw e.toErrnoException("truncate " + path + " to " + newSize);
        } finally {
            resize.unlock();
            exit();
        }
    }

    /**
     * fsync, not fdatasync: punch, collapse and insert change the extent map, which fdatasync
     * need not flush. A failure is sticky (see {@code syncFailure}). A read-only store has written
     * nothing, so there is nothing to force (and a read-only file system need not accept it).
     */
    @Override
    public void force() {
        enter();
        try {
            if (readOnly) {
                return;
            }
            NativeIoException earlier = syncFailure;
            if (earlier != null) {
                throw new ErrnoException(Errno.EIO,
                        "an earlier fsync of " + path + " failed; writes before it may be lost", earlier);
            }
            io.fsync(file.fd());
        } catch (NativeIoException e) {
            syncFailure = e;
            throw e.toErrnoException("fsync " + path);
        } finally {
            exit();
        }
    }

    @Override
    public List<Extent> extents(long offset, long length, int maxExtents) {
        StoreArguments.checkExtentsQuery(offset, length, maxExtents);
        enter();
        try {
            long end = Math.min(offset + length, size);
            ExtentList out = new ExtentList(maxExtents);
            if (offset >= end) {
                return List.of();
            }
            try {
                file.scanExtents(offset, end, out);
                return out.toList();
            } catch (NativeIoException e) {
                if (!e.isUnsupported() && e.errno() != NativeIoException.EINVAL) {
                    throw e.toErrnoException("extents of " + path);
                }
                return List.of(new Extent(offset, end - offset, false)); // cannot tell: all data
            }
        } finally {
            exit();
        }
    }

    @Override
    public boolean zeroesFast(boolean keepAllocated) {
        return fallocator.zeroesFast(keepAllocated);
    }

    @Override
    public void close() {
        lifecycle.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            synchronized (this) {
                if (sendChannel != null) {
                    try {
                        sendChannel.close();
                    } catch (java.io.IOException ignored) {
                        // a read-only second descriptor: nothing of the user's is lost with it
                    }
                }
            }
            io.close(file.fd());
        } catch (NativeIoException e) {
            throw e.toErrnoException("close " + path);
        } finally {
            lifecycle.writeLock().unlock();
        }
    }

    private void enter() {
        lifecycle.readLock().lock();
        if (closed) {
            lifecycle.readLock().unlock();
            throw new ErrnoException(Errno.ESHUTDOWN, path + " is closed");
        }
    }

    /** As {@link #enter()}, for an operation that changes the file: EROFS on a read-only store. */
    private void enterForChange() {
        enter();
        if (readOnly) {
            exit();
            throw new ErrnoException(Errno.EROFS, path + " is open read-only");
        }
    }

    /** See {@link BackingStore#isInMemory}: cachestat(2), or mincore(2) on older kernels ({@link NativeIo#allCached}). */
    @Override
    public boolean isInMemory(long offset, long length) {
        if (!canCachestat || offset < 0 || length < 0 || offset > size - length) {
            return false;
        }
        if (!lifecycle.readLock().tryLock()) {
            return false; // closing
        }
        try {
            return !closed && io.allCached(file.fd(), offset, length);
        } catch (NativeIoException e) {
            if (e.isUnsupported()) {
                canCachestat = false; // a NativeIo that cannot tell: reads are then copied on a worker
                return false;
            }
            throw e.toErrnoException("cachestat " + length + " bytes at " + offset + " of " + path);
        } finally {
            exit();
        }
    }

    private void exit() {
        lifecycle.readLock().unlock();
    }

    /** After a failed resize the file's length is the truth; keep {@link #size()} telling it. */
    private void resyncSize() {
        try {
            size = io.lseek(file.fd(), 0, NativeIo.SEEK_END);
        } catch (NativeIoException ignored) {
            // The original failure is being thrown; the old size is the best guess left.
        }
    }

    private void checkRange(String what, long offset, long length) {
        StoreArguments.checkWithin(what, offset, length, size);
    }

    private void checkAligned(String what, long offset, long length) {
        StoreArguments.checkAligned(what, offset, length, blockAlignment);
    }

    private static ErrnoException einval(String message) {
        return StoreArguments.einval(message);
    }
}
