package io.blockhaus.engine.store;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static io.blockhaus.engine.store.Libc.CAPTURE;
import static io.blockhaus.engine.store.Libc.SCRATCH;
import static io.blockhaus.engine.store.Libc.downcall;
import static io.blockhaus.engine.store.Libc.errno;
import static io.blockhaus.engine.store.Libc.failed;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Whether a file's range is all in the kernel's page cache ({@link NativeIo#allCached}): one
 * cachestat(2) on Linux 6.5 and later, else a mapping asked with mincore(2). An event loop sends
 * a range from the file only when this says it cannot block.
 */
final class FfmResidency {
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
     * False once the kernel refused cachestat (before 6.5): residency is then asked with mincore.
     * A fact about the running kernel: {@link FfmNativeIo}'s one instance holds the one of these.
     */
    private volatile boolean cachestatWorks = true;

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
    boolean allCached(int fd, long offset, long length) throws NativeIoException {
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
            Libc.Scratch scratch = SCRATCH.get();
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
}
