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
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * {@link FfmNativeIo}'s pipe calls: pipe2, the pipe's size, and splice(2), which moves pages
 * between a pipe and a file or socket without copying them through user memory (the NBD front
 * end's spliced WRITE payloads, {@link Pipe}).
 */
final class FfmPipes {
    private static final MethodHandle PIPE2 = downcall("pipe2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle FCNTL_INT = downcall("fcntl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2));
    private static final int F_SETPIPE_SZ = 1031;
    private static final MethodHandle SPLICE = downcall("splice",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));

    private FfmPipes() {
    }

    static int[] pipe() throws NativeIoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            MemorySegment fds = arena.allocate(JAVA_INT, 2);
            int r;
            do {
                r = (int) PIPE2.invokeExact(state, fds, NativeIo.O_CLOEXEC);
            } while (failed("pipe2", r, state));
            return new int[] {fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1)};
        } catch (NativeIoException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    static int setPipeSize(int fd, int bytes) throws NativeIoException {
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

    static long splice(int in, long inOffset, int out, long outOffset, long length, int flags) throws NativeIoException {
        try {
            Libc.Scratch scratch = SCRATCH.get();
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
                if (n == -1 && errno(state) == NativeIoException.EAGAIN && (flags & NativeIo.SPLICE_F_NONBLOCK) != 0) {
                    return NativeIo.WOULD_BLOCK;
                }
            } while (failed("splice", n, state));
            return n;
        } catch (NativeIoException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }
}
