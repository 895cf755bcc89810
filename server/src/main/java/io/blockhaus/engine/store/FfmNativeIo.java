package io.blockhaus.engine.store;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;

import static io.blockhaus.engine.store.Libc.CAPTURE;
import static io.blockhaus.engine.store.Libc.IOVEC;
import static io.blockhaus.engine.store.Libc.SCRATCH;
import static io.blockhaus.engine.store.Libc.downcall;
import static io.blockhaus.engine.store.Libc.errno;
import static io.blockhaus.engine.store.Libc.failed;
import static io.blockhaus.engine.store.Libc.requireNative;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * {@link NativeIo} on glibc through the FFM API (java.lang.foreign), with errno captured by the
 * linker ({@code Linker.Option.captureCallState("errno")}) so no other call can overwrite it.
 *
 * <p>Design: the store opens its file with {@code open(2)} here and does <em>all</em> I/O on that
 * one int descriptor (pread / pwrite / pwritev as well as fallocate, lseek, ftruncate, fsync).
 * A FileChannel's descriptor is not reachable without reflection into sun.nio, and a second
 * descriptor from a FileChannel would split the store over two objects with two error models
 * (IOException text vs errno). One descriptor gives every failure a real errno (ENOSPC is
 * ENOSPC, not a message to parse), one lifecycle to close, and one seam for tests. The price is
 * that callers pass native memory: the store copies heap buffers through a bounce segment.
 *
 * <p>EINTR is retried here, since no caller can do anything else with it.
 */
public final class FfmNativeIo implements NativeIo {
    private static final FfmNativeIo INSTANCE = new FfmNativeIo();

    /** struct statfs is 120 bytes on x86-64 and aarch64; f_bsize is the long at offset 8 on both. */
    private static final long STATFS_SIZE = 256;
    private static final long STATFS_BSIZE_OFFSET = 8;

    private static final MethodHandle OPEN = downcall("open",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT),
            Linker.Option.firstVariadicArg(2)); // open(const char *, int, ...)
    private static final MethodHandle CLOSE = downcall("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle PREAD = downcall("pread",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle PWRITE = downcall("pwrite",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle PREADV = downcall("preadv",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG));
    private static final MethodHandle PREADV2 = downcall("preadv2",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_INT));
    private static final int RWF_NOWAIT = 0x08;
    private static final MethodHandle PWRITEV = downcall("pwritev",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG));
    private static final MethodHandle READ = downcall("read",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle FALLOCATE = downcall("fallocate",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle LSEEK = downcall("lseek",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT));
    private static final MethodHandle FTRUNCATE = downcall("ftruncate",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG));
    private static final MethodHandle FSYNC = downcall("fsync", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle FDATASYNC = downcall("fdatasync", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle IOCTL_PTR = downcall("ioctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), Linker.Option.firstVariadicArg(2));
    private static final long FS_IOC_FIEMAP = 0xC020660BL;
    private static final int FIEMAP_HEADER = 32;
    private static final int FIEMAP_EXTENT = 56;
    private static final MethodHandle FSTATFS = downcall("fstatfs",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));


    private final FfmResidency residency = new FfmResidency();

    private FfmNativeIo() {
    }

    /** The one instance (see {@link #cachestatWorks}). */
    public static FfmNativeIo instance() {
        return INSTANCE;
    }


    @Override
    public int open(Path path, int flags, int mode) throws NativeIoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            MemorySegment cpath = arena.allocateFrom(path.toString());
            int fd;
            do {
                fd = (int) OPEN.invokeExact(state, cpath, flags, mode);
            } while (failed("open", fd, state)); // the store names the path
            return fd;
        } catch (NativeIoException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    @Override
    public void close(int fd) throws NativeIoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            int r = (int) CLOSE.invokeExact(state, fd);
            // close(2) must not be retried on EINTR: the descriptor is gone either way.
            if (r == -1 && errno(state) != NativeIoException.EINTR) {
                throw new NativeIoException("close", errno(state));
            }
        } catch (NativeIoException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    @Override
    public long pread(int fd, MemorySegment dst, long offset) throws NativeIoException {
        return positioned(false, fd, dst, offset);
    }

    @Override
    public long pwrite(int fd, MemorySegment src, long offset) throws NativeIoException {
        return positioned(true, fd, src, offset);
    }

    @Override
    public long read(int fd, MemorySegment dst) throws NativeIoException {
        requireNative(dst);
        try {
            MemorySegment state = SCRATCH.get().state;
            long n;
            do {
                n = (long) READ.invokeExact(state, fd, dst, dst.byteSize());
            } while (failed("read", n, state));
            return n;
        } catch (NativeIoException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    @Override
    public int[] pipe() throws NativeIoException {
        return FfmPipes.pipe();
    }

    @Override
    public int setPipeSize(int fd, int bytes) throws NativeIoException {
        return FfmPipes.setPipeSize(fd, bytes);
    }

    @Override
    public long splice(int in, long inOffset, int out, long outOffset, long length, int flags) throws NativeIoException {
        return FfmPipes.splice(in, inOffset, out, outOffset, length, flags);
    }

    /**
     * pread and pwrite share their shape: one native segment at an offset, EINTR retried. Each
     * call site names its handle, a static final constant: a handle passed in as an argument is
     * not a constant to the JIT, so the call would go through the generic method-handle linkage
     * (LambdaForms, not inlined) wherever this method is compiled on its own, and always in C1
     * code, which is what a freshly started server runs its reads in for its first seconds.
     */
    private static long positioned(boolean write, int fd, MemorySegment seg, long offset)
            throws NativeIoException {
        requireNative(seg);
        try {
            MemorySegment state = SCRATCH.get().state;
            long n;
            do {
                n = write
                        ? (long) PWRITE.invokeExact(state, fd, seg, seg.byteSize(), offset)
                        : (long) PREAD.invokeExact(state, fd, seg, seg.byteSize(), offset);
            } while (failed(write ? "pwrite" : "pread", n, state));
            return n;
        } catch (NativeIoException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    @Override
    public long preadv(int fd, MemorySegment[] dsts, long offset) throws NativeIoException {
        return vectored(false, fd, dsts, offset);
    }

    @Override
    public long pwritev(int fd, MemorySegment[] srcs, long offset) throws NativeIoException {
        return vectored(true, fd, srcs, offset);
    }

    @Override
    public long preadvNoWait(int fd, MemorySegment[] dsts, long offset) throws NativeIoException {
        try {
            Libc.Scratch scratch = SCRATCH.get();
            MemorySegment state = scratch.state;
            MemorySegment iov = iovecs(scratch, dsts);
            long n;
            do {
                n = (long) PREADV2.invokeExact(state, fd, iov, dsts.length, offset, RWF_NOWAIT);
                // EAGAIN: not in memory; EOPNOTSUPP / ENOSYS: this file system or kernel cannot tell.
                if (n == -1 && (errno(state) == NativeIoException.EAGAIN
                        || errno(state) == NativeIoException.EOPNOTSUPP || errno(state) == NativeIoException.ENOSYS)) {
                    return WOULD_BLOCK;
                }
            } while (failed("preadv2", n, state));
            return n;
        } catch (NativeIoException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** The thread's iovec array, filled from native segments. */
    private static MemorySegment iovecs(Libc.Scratch scratch, MemorySegment[] segs) {
        if (segs.length > IOV_MAX) {
            throw new IllegalArgumentException(segs.length + " segments, IOV_MAX is " + IOV_MAX);
        }
        MemorySegment iov = scratch.iov;
        for (int i = 0; i < segs.length; i++) {
            requireNative(segs[i]);
            MemorySegment slot = iov.asSlice(i * IOVEC.byteSize(), IOVEC);
            slot.set(ADDRESS, 0, segs[i]);
            slot.set(JAVA_LONG, ADDRESS.byteSize(), segs[i].byteSize());
        }
        return iov;
    }

    /** preadv and pwritev share their shape: an iovec array built from native segments (constant handles as in positioned). */
    private static long vectored(boolean write, int fd, MemorySegment[] segs, long offset)
            throws NativeIoException {
        try {
            Libc.Scratch scratch = SCRATCH.get();
            MemorySegment state = scratch.state;
            MemorySegment iov = iovecs(scratch, segs);
            long n;
            do {
                n = write
                        ? (long) PWRITEV.invokeExact(state, fd, iov, segs.length, offset)
                        : (long) PREADV.invokeExact(state, fd, iov, segs.length, offset);
            } while (failed(write ? "pwritev" : "preadv", n, state));
            return n;
        } catch (NativeIoException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    @Override
    public void fallocate(int fd, int mode, long offset, long length) throws NativeIoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            int r;
            do {
                r = (int) FALLOCATE.invokeExact(state, fd, mode, offset, length);
            } while (failed("fallocate", r, state));
        } catch (NativeIoException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    @Override
    public int fiemap(int fd, long start, long length, long[] out) throws NativeIoException {
        int max = out.length / 3;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            MemorySegment req = arena.allocate(FIEMAP_HEADER + (long) max * FIEMAP_EXTENT, 8);
            req.set(JAVA_LONG, 0, start);           // fm_start
            req.set(JAVA_LONG, 8, length);          // fm_length
            req.set(JAVA_INT, 16, 0);               // fm_flags: no FIEMAP_FLAG_SYNC, a snapshot is enough
            req.set(JAVA_INT, 24, max);             // fm_extent_count
            int r;
            do {
                r = (int) IOCTL_PTR.invokeExact(state, fd, FS_IOC_FIEMAP, req);
            } while (failed("fiemap", r, state));
            int mapped = req.get(JAVA_INT, 20);     // fm_mapped_extents
            for (int i = 0; i < mapped; i++) {
                long e = FIEMAP_HEADER + (long) i * FIEMAP_EXTENT;
                out[3 * i] = req.get(JAVA_LONG, e);               // fe_logical
                out[3 * i + 1] = req.get(JAVA_LONG, e + 16);      // fe_length
                out[3 * i + 2] = req.get(JAVA_INT, e + 40) & 0xFFFF_FFFFL; // fe_flags
            }
            return mapped;
        } catch (NativeIoException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    @Override
    public long lseek(int fd, long offset, int whence) throws NativeIoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            long r;
            do {
                r = (long) LSEEK.invokeExact(state, fd, offset, whence);
            } while (failed("lseek", r, state));
            return r;
        } catch (NativeIoException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    @Override
    public void ftruncate(int fd, long length) throws NativeIoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            int r;
            do {
                r = (int) FTRUNCATE.invokeExact(state, fd, length);
            } while (failed("ftruncate", r, state));
        } catch (NativeIoException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    @Override
    public void fsync(int fd) throws NativeIoException {
        sync(FSYNC, "fsync", fd);
    }

    @Override
    public void fdatasync(int fd) throws NativeIoException {
        sync(FDATASYNC, "fdatasync", fd);
    }

    private static void sync(MethodHandle handle, String name, int fd) throws NativeIoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            int r;
            do {
                r = (int) handle.invokeExact(state, fd);
            } while (failed(name, r, state));
        } catch (NativeIoException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    @Override
    public boolean allCached(int fd, long offset, long length) throws NativeIoException {
        return residency.allCached(fd, offset, length);
    }

    /** The mincore fallback alone, for tests on kernels that have cachestat. */
    boolean allCachedByMincore(int fd, long offset, long length) throws NativeIoException {
        return residency.allCachedByMincore(fd, offset, length);
    }

    @Override
    public int blockSize(int fd) throws NativeIoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            MemorySegment buf = arena.allocate(STATFS_SIZE, 8);
            int r;
            do {
                r = (int) FSTATFS.invokeExact(state, fd, buf);
            } while (failed("fstatfs", r, state));
            long bsize = buf.get(JAVA_LONG, STATFS_BSIZE_OFFSET);
            return (int) Math.min(bsize, Integer.MAX_VALUE);
        } catch (NativeIoException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }
}
