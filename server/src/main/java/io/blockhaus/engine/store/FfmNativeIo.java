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

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
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

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
            CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option ERRNO_OPT = Linker.Option.captureCallState("errno");
    /** struct iovec { void *iov_base; size_t iov_len; } on LP64. */
    private static final StructLayout IOVEC = MemoryLayout.structLayout(
            ADDRESS.withName("iov_base"), JAVA_LONG.withName("iov_len"));
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
    private static final MethodHandle PIPE2 = downcall("pipe2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle FCNTL_INT = downcall("fcntl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2));
    private static final int F_SETPIPE_SZ = 1031;
    private static final MethodHandle SPLICE = downcall("splice",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
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
    /** syscall(2), for cachestat, which glibc has no wrapper for. */
    private static final MethodHandle SYSCALL_4 = downcall("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT),
            Linker.Option.firstVariadicArg(1));
    /** cachestat's number: one for every architecture, as for every system call added since 5.x's unification. */
    private static final long SYS_CACHESTAT = 451;
    private static final MethodHandle GETPAGESIZE = downcall("getpagesize", FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle MMAP = downcall("mmap",
            FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
    private static final MethodHandle MINCORE = downcall("mincore",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS));
    private static final MethodHandle MUNMAP = downcall("munmap", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
    private static final int PROT_READ = 1;
    private static final int MAP_SHARED = 1;
    private static final long KERNEL_PAGE = kernelPageSize();

    /**
     * Per-thread native scratch for the data-path calls (errno capture and an iovec array): the
     * profile of 1 MiB writes spent 7% allocating and zeroing a confined arena for every system
     * call. GC-managed (Arena.ofAuto), so it goes away with its thread; a thread makes one call
     * at a time, so nothing else touches it meanwhile.
     */
    private static final class Scratch {
        final MemorySegment state;
        final MemorySegment iov;
        final MemorySegment offsets; // two loff_t for splice, or a cachestat range
        final MemorySegment cachestat; // struct cachestat: five u64

        Scratch() {
            Arena arena = Arena.ofAuto();
            state = arena.allocate(CAPTURE);
            iov = arena.allocate(IOVEC, IOV_MAX);
            offsets = arena.allocate(JAVA_LONG, 2);
            cachestat = arena.allocate(JAVA_LONG, 5);
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /**
     * False once the kernel refused cachestat (before 6.5): residency is then asked with mincore.
     * The instance's only state, a fact about the running kernel, so one process-wide instance.
     */
    private volatile boolean cachestatWorks = true;

    private FfmNativeIo() {
    }

    /** The one instance (see {@link #cachestatWorks}). */
    public static FfmNativeIo instance() {
        return INSTANCE;
    }

    @SuppressWarnings("restricted") // native access is this class's purpose; surefire and the jar enable it
    private static MethodHandle downcall(String name, FunctionDescriptor fd, Linker.Option... extra) {
        MemorySegment symbol = LIBC.find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
        Linker.Option[] options = new Linker.Option[extra.length + 1];
        options[0] = ERRNO_OPT;
        System.arraycopy(extra, 0, options, 1, extra.length);
        return LINKER.downcallHandle(symbol, fd, options);
    }

    private static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    /** Throws for a failed call (result -1), unless it was interrupted: then the caller retries. */
    private static boolean failed(String call, long result, MemorySegment state) throws NativeIoException {
        if (result != -1) {
            return false;
        }
        int errno = errno(state);
        if (errno == NativeIoException.EINTR) {
            return true;
        }
        throw new NativeIoException(call, errno);
    }

    private static void requireNative(MemorySegment segment) {
        if (!segment.isNative()) {
            throw new IllegalArgumentException("native memory required, got a heap segment");
        }
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
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            MemorySegment fds = arena.allocate(JAVA_INT, 2);
            int r;
            do {
                r = (int) PIPE2.invokeExact(state, fds, O_CLOEXEC);
            } while (failed("pipe2", r, state));
            return new int[] {fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1)};
        } catch (NativeIoException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    @Override
    public int setPipeSize(int fd, int bytes) throws NativeIoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            int r;
            do {
                r = (int) FCNTL_INT.invokeExact(state, fd, F_SETPIPE_SZ, bytes);
            } while (failed("fcntl(F_SETPIPE_SZ)", r, state));
            return r;
        } catch (NativeIoException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    @Override
    public long splice(int in, long inOffset, int out, long outOffset, long length, int flags) throws NativeIoException {
        try {
            Scratch scratch = SCRATCH.get();
            MemorySegment state = scratch.state;
            MemorySegment inOff = MemorySegment.NULL;
            MemorySegment outOff = MemorySegment.NULL;
            if (inOffset >= 0) {
                inOff = scratch.offsets.asSlice(0, JAVA_LONG.byteSize());
            }
            if (outOffset >= 0) {
                outOff = scratch.offsets.asSlice(JAVA_LONG.byteSize(), JAVA_LONG.byteSize());
            }
            long n;
            do {
                // The kernel advances the offsets it is given: set them afresh for every try.
                if (inOffset >= 0) {
                    inOff.set(JAVA_LONG, 0, inOffset);
                }
                if (outOffset >= 0) {
                    outOff.set(JAVA_LONG, 0, outOffset);
                }
                n = (long) SPLICE.invokeExact(state, in, inOff, out, outOff, length, flags);
                if (n == -1 && errno(state) == NativeIoException.EAGAIN && (flags & SPLICE_F_NONBLOCK) != 0) {
                    return WOULD_BLOCK;
                }
            } while (failed("splice", n, state));
            return n;
        } catch (NativeIoException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
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
            Scratch scratch = SCRATCH.get();
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
    private static MemorySegment iovecs(Scratch scratch, MemorySegment[] segs) {
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
            Scratch scratch = SCRATCH.get();
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

    private static long kernelPageSize() {
        try (Arena arena = Arena.ofConfined()) {
            return (int) GETPAGESIZE.invokeExact(arena.allocate(CAPTURE));
        } catch (Throwable t) {
            throw new ExceptionInInitializerError(t);
        }
    }

    /**
     * cachestat(2) over the range: struct cachestat_range {u64 off, len} in, struct cachestat
     * {u64 nr_cache, nr_dirty, nr_writeback, nr_evicted, nr_recently_evicted} out; nr_cache
     * counts the range's pages the page cache holds, dirty and under writeback included.
     */
    @Override
    public boolean allCached(int fd, long offset, long length) throws NativeIoException {
        if (length <= 0) {
            return true;
        }
        if (cachestatWorks) {
            try {
                return cachestat(fd, offset, length);
            } catch (NativeIoException e) {
                if (e.errno() != NativeIoException.ENOSYS) {
                    throw e;
                }
                cachestatWorks = false; // a kernel before 6.5: every later call asks mincore
            }
        }
        return allCachedByMincore(fd, offset, length);
    }

    private static boolean cachestat(int fd, long offset, long length) throws NativeIoException {
        try {
            Scratch scratch = SCRATCH.get();
            MemorySegment state = scratch.state;
            MemorySegment range = scratch.offsets; // two u64, as splice's two loff_t
            MemorySegment stat = scratch.cachestat;
            range.set(JAVA_LONG, 0, offset);
            range.set(JAVA_LONG, 8, length);
            long r;
            do {
                r = (long) SYSCALL_4.invokeExact(state, SYS_CACHESTAT, fd, range, stat, 0);
            } while (failed("cachestat", r, state));
            long pages = (offset + length + KERNEL_PAGE - 1) / KERNEL_PAGE - offset / KERNEL_PAGE;
            return stat.get(JAVA_LONG, 0) >= pages;
        } catch (NativeIoException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * The fallback for kernels without cachestat: a read-only shared mapping of the range, never
     * touched (so nothing is read or faulted), asked with mincore(2), which for a file mapping
     * reports the page cache's residency, then unmapped. Three system calls instead of one.
     */
    boolean allCachedByMincore(int fd, long offset, long length) throws NativeIoException {
        long start = offset - offset % KERNEL_PAGE;
        long span = offset + length - start;
        long pages = (span + KERNEL_PAGE - 1) / KERNEL_PAGE;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            MemorySegment addr = (MemorySegment) MMAP.invokeExact(state, MemorySegment.NULL, span, PROT_READ, MAP_SHARED,
                    fd, start);
            if (addr.address() == -1L) { // MAP_FAILED
                throw new NativeIoException("mmap", errno(state));
            }
            try {
                MemorySegment vec = arena.allocate(pages);
                int r;
                do {
                    r = (int) MINCORE.invokeExact(state, addr, span, vec);
                } while (failed("mincore", r, state));
                for (long i = 0; i < pages; i++) {
                    if ((vec.get(JAVA_BYTE, i) & 1) == 0) {
                        return false;
                    }
                }
                return true;
            } finally {
                int unmapped = (int) MUNMAP.invokeExact(state, addr, span);
                assert unmapped == 0 : "munmap of our own mapping failed";
            }
        } catch (NativeIoException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
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
