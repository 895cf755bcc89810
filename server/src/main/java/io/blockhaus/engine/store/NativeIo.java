package io.blockhaus.engine.store;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * The Linux system calls the sparse-file store needs, on a plain int file descriptor, and nothing
 * else (plus pipe, splice and read for {@link Pipe}, which carries writes into such a file). Every failure is a {@link NativeIoException} carrying errno; no method retries or falls
 * back (that policy lives in {@link SparseFileStore}), except that implementations retry EINTR.
 *
 * <p>It is an interface so tests can stand in for the kernel: a platform without fallocate, a
 * write that fails with EIO or ENOSPC, short reads and writes. Buffers are native
 * {@link MemorySegment}s; the store bounces heap buffers itself.
 */
public interface NativeIo {
    int O_RDONLY = 0;
    int O_RDWR = 2;
    int O_CREAT = 0100;
    int O_EXCL = 0200;
    int O_CLOEXEC = 02000000;

    int FALLOC_FL_KEEP_SIZE = 0x01;
    int FALLOC_FL_PUNCH_HOLE = 0x02;
    int FALLOC_FL_COLLAPSE_RANGE = 0x08;
    int FALLOC_FL_ZERO_RANGE = 0x10;
    int FALLOC_FL_INSERT_RANGE = 0x20;

    int SEEK_END = 2;
    int SEEK_DATA = 3;
    int SEEK_HOLE = 4;
    /** fiemap flags (linux/fiemap.h). */
    long FIEMAP_EXTENT_LAST = 0x1;
    long FIEMAP_EXTENT_UNWRITTEN = 0x800;

    /** open(2); returns the descriptor. */
    int open(Path path, int flags, int mode) throws NativeIoException;

    /** close(2). */
    void close(int fd) throws NativeIoException;

    /** pread(2) into the whole of {@code dst}; returns bytes read, 0 at end of file (may be short). */
    long pread(int fd, MemorySegment dst, long offset) throws NativeIoException;

    /** pwrite(2) of the whole of {@code src}; returns bytes written (may be short). */
    long pwrite(int fd, MemorySegment src, long offset) throws NativeIoException;

    /**
     * pwritev(2): writes the segments in order from {@code offset}; returns bytes written (may be
     * short). At most {@link #IOV_MAX} segments. The default issues one pwrite per segment and
     * stops at the first short one, which keeps the same meaning.
     */
    default long pwritev(int fd, MemorySegment[] srcs, long offset) throws NativeIoException {
        long done = 0;
        for (MemorySegment src : srcs) {
            long n = pwrite(fd, src, offset + done);
            done += n;
            if (n < src.byteSize()) {
                break;
            }
        }
        return done;
    }

    /**
     * preadv(2): fills the segments in order from {@code offset}; returns bytes read (short at
     * end of file, 0 past it). At most {@link #IOV_MAX} segments. The default issues one pread
     * per segment and stops at the first short one.
     */
    default long preadv(int fd, MemorySegment[] dsts, long offset) throws NativeIoException {
        long done = 0;
        for (MemorySegment dst : dsts) {
            long n = pread(fd, dst, offset + done);
            done += n;
            if (n < dst.byteSize()) {
                break;
            }
        }
        return done;
    }

    /** What {@link #preadvNoWait} returns when reading would have to wait for the disk. */
    long WOULD_BLOCK = -1;

    /**
     * preadv2(2) with RWF_NOWAIT: reads only what the kernel already holds in memory. Returns the
     * bytes read (short when only a prefix is in memory, 0 past the end of file) or
     * {@link #WOULD_BLOCK} when the first byte is not in memory or the file system cannot answer
     * without waiting (EAGAIN, EOPNOTSUPP). At most {@link #IOV_MAX} segments. The default
     * always answers {@link #WOULD_BLOCK}: a platform without it takes the blocking path.
     */
    default long preadvNoWait(int fd, MemorySegment[] dsts, long offset) throws NativeIoException {
        return WOULD_BLOCK;
    }

    /**
     * Whether every page of {@code [offset, offset+length)} is in the kernel's page cache right
     * now (cachestat(2), Linux 6.5+; before that, mincore(2) over a mapping of the range that is
     * never touched), so that reading or sending it cannot wait for a disk; it asks without
     * reading and without waiting. The default fails with ENOSYS: the caller then treats nothing
     * as known to be in memory.
     */
    default boolean allCached(int fd, long offset, long length) throws NativeIoException {
        throw new NativeIoException("cachestat", NativeIoException.ENOSYS);
    }

    /** splice(2) flags. */
    int SPLICE_F_MOVE = 1;
    int SPLICE_F_NONBLOCK = 2;

    /**
     * pipe2(2) with O_CLOEXEC: a new pipe as {read end, write end}. The default fails with ENOSYS:
     * a platform without it never splices.
     */
    default int[] pipe() throws NativeIoException {
        throw new NativeIoException("pipe2", NativeIoException.ENOSYS);
    }

    /** fcntl(F_SETPIPE_SZ): asks for a pipe capacity of {@code bytes}; returns the capacity granted. */
    default int setPipeSize(int fd, int bytes) throws NativeIoException {
        throw new NativeIoException("fcntl", NativeIoException.ENOSYS);
    }

    /**
     * splice(2) of up to {@code length} bytes from {@code in} to {@code out}, one of which is a
     * pipe. An offset below zero means none: the descriptor's own position, as pipes and sockets
     * require. Returns bytes moved (0 at end of input), or {@link #WOULD_BLOCK} when
     * {@link #SPLICE_F_NONBLOCK} is set and nothing can move now (EAGAIN).
     */
    default long splice(int in, long inOffset, int out, long outOffset, long length, int flags) throws NativeIoException {
        throw new NativeIoException("splice", NativeIoException.ENOSYS);
    }

    /** read(2) into the whole of {@code dst}; returns bytes read (may be short, 0 at end of input). */
    default long read(int fd, MemorySegment dst) throws NativeIoException {
        throw new NativeIoException("read", NativeIoException.ENOSYS);
    }

    /** Linux's limit on segments per pwritev call. */
    int IOV_MAX = 1024;

    /** fallocate(2) with the FALLOC_FL_* {@code mode}. */
    void fallocate(int fd, int mode, long offset, long length) throws NativeIoException;

    /**
     * FS_IOC_FIEMAP: the allocated extents of {@code [start, start+length)}, as triples
     * (logical offset, length, FIEMAP_EXTENT_* flags) in {@code out}; returns how many triples
     * were written (at most {@code out.length / 3}) and sets the last triple's flags to include
     * {@link #FIEMAP_EXTENT_LAST} when the file has nothing mapped past it. File systems without
     * it fail with EOPNOTSUPP (the default here, for implementations that do not bind it).
     */
    default int fiemap(int fd, long start, long length, long[] out) throws NativeIoException {
        throw new NativeIoException("fiemap", NativeIoException.EOPNOTSUPP);
    }

    /** lseek(2); SEEK_DATA / SEEK_HOLE past the last data fail with ENXIO. */
    long lseek(int fd, long offset, int whence) throws NativeIoException;

    /** ftruncate(2). */
    void ftruncate(int fd, long length) throws NativeIoException;

    /** fsync(2): data and metadata, including size and allocation changes. */
    void fsync(int fd) throws NativeIoException;

    /** fdatasync(2). */
    void fdatasync(int fd) throws NativeIoException;

    /** The file system's block size for this file (fstatfs f_bsize). */
    int blockSize(int fd) throws NativeIoException;
}
