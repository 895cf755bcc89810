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

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * What every libc call of this package shares: the linker, downcalls that capture errno
 * ({@code Linker.Option.captureCallState("errno")}, so no other call can overwrite it between
 * the call and its check), the check itself with EINTR retried, and each thread's native scratch.
 * The calls themselves live with their users ({@link FfmNativeIo}, {@link FfmPipes},
 * {@link FfmResidency}, {@link HugePageMemory}), each handle a static final constant there: a
 * handle that is not a constant to the JIT goes through the generic method-handle linkage.
 */
final class Libc {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
            CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option ERRNO_OPT = Linker.Option.captureCallState("errno");
    /** struct iovec { void *iov_base; size_t iov_len; } on LP64. */
    static final StructLayout IOVEC = MemoryLayout.structLayout(
            ADDRESS.withName("iov_base"), JAVA_LONG.withName("iov_len"));

    /**
     * Per-thread native scratch for the data-path calls (errno capture and an iovec array): the
     * profile of 1 MiB writes spent 7% allocating and zeroing a confined arena for every system
     * call. GC-managed (Arena.ofAuto), so it goes away with its thread; a thread makes one call
     * at a time, so nothing else touches it meanwhile.
     */
    static final class Scratch {
        final MemorySegment state;
        final MemorySegment iov;
        final MemorySegment offsets; // two loff_t for splice, or a cachestat range
        final MemorySegment cachestat; // struct cachestat: five u64

        Scratch() {
            Arena arena = Arena.ofAuto();
            state = arena.allocate(CAPTURE);
            iov = arena.allocate(IOVEC, NativeIo.IOV_MAX);
            offsets = arena.allocate(JAVA_LONG, 2);
            cachestat = arena.allocate(JAVA_LONG, 5);
        }
    }

    static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private Libc() {
    }

    @SuppressWarnings("restricted") // native access is this class's purpose; surefire and the jar enable it
    static MethodHandle downcall(String name, FunctionDescriptor fd, Linker.Option... extra) {
        MemorySegment symbol = LIBC.find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
        Linker.Option[] options = new Linker.Option[extra.length + 1];
        options[0] = ERRNO_OPT;
        System.arraycopy(extra, 0, options, 1, extra.length);
        return LINKER.downcallHandle(symbol, fd, options);
    }

    static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    /** Throws for a failed call (result -1), unless it was interrupted: then the caller retries. */
    static boolean failed(String call, long result, MemorySegment state) throws NativeIoException {
        if (result != -1) {
            return false;
        }
        int errno = errno(state);
        if (errno == NativeIoException.EINTR) {
            return true;
        }
        throw new NativeIoException(call, errno);
    }

    static void requireNative(MemorySegment segment) {
        if (!segment.isNative()) {
            throw new IllegalArgumentException("native memory required, got a heap segment");
        }
    }
}
