package io.blockhaus.server;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A whole-file advisory lock owned by an open file description (Linux's {@code fcntl(F_OFD_SETLK)},
 * since 3.15), held until {@link #close}, or until the process dies: a crash or SIGKILL never
 * leaves a stale lock behind.
 *
 * <p>Why not {@link java.nio.channels.FileChannel#tryLock()}: on Linux the JDK takes a POSIX record
 * lock ({@code F_SETLK}), which belongs to the <em>process</em>, and the kernel drops every POSIX
 * lock a process holds on a file as soon as the process closes <em>any</em> descriptor of that
 * file. Measured on this JDK 25: channel A locks {@code f}; channel B opens {@code f}, its
 * {@code tryLock} throws OverlappingFileLockException, B is closed, and {@code /proc/locks} no
 * longer lists A's lock while A's {@code FileLock.isValid()} still says true. A second server
 * refused in the same JVM (tests run many) would thus silently unlock the first; so would the
 * engine closing a descriptor of a volume file (ZeroCopyTransfers reopens it through
 * {@code /proc/self/fd}). An OFD lock belongs to the one open file description made here, which
 * nothing else closes: descriptors opened and closed elsewhere leave it alone, and two OFD locks
 * of one process conflict like those of two processes, so "another server in this JVM" and
 * "another server" are the same refusal, with no table of what this JVM holds. This is why qemu
 * locks its images with OFD locks too; OFD and POSIX locks see each other, so a tool taking
 * either kind ({@code flock(1)} does not: it is the third, BSD kind) meets this one.
 *
 * <p>Shared locks ({@code F_RDLCK}) coexist with each other and conflict with an exclusive one
 * ({@code F_WRLCK}): readers share a file, a writer has it alone.
 */
final class OfdLock implements AutoCloseable {
    // <fcntl.h> on Linux (every architecture Blockhaus runs on: x86-64, aarch64)
    private static final int O_RDONLY = 0;
    private static final int O_RDWR = 2;
    private static final int O_CREAT = 0100;
    private static final int O_CLOEXEC = 02000000;
    private static final int F_OFD_SETLK = 37;
    private static final short F_RDLCK = 0;
    private static final short F_WRLCK = 1;
    private static final short SEEK_SET = 0;
    private static final int EINTR = 4;
    private static final int EACCES = 13;
    private static final int EAGAIN = 11;

    /** struct flock on LP64 Linux; l_start 0 and l_len 0 cover the whole file, however it grows. */
    private static final StructLayout FLOCK = MemoryLayout.structLayout(
            JAVA_SHORT.withName("l_type"), JAVA_SHORT.withName("l_whence"), MemoryLayout.paddingLayout(4),
            JAVA_LONG.withName("l_start"), JAVA_LONG.withName("l_len"), JAVA_INT.withName("l_pid"),
            MemoryLayout.paddingLayout(4));
    private static final VarHandle L_TYPE = FLOCK.varHandle(MemoryLayout.PathElement.groupElement("l_type"));
    private static final VarHandle L_WHENCE = FLOCK.varHandle(MemoryLayout.PathElement.groupElement("l_whence"));

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle OPEN = downcall("open",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle FCNTL = downcall("fcntl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle CLOSE = downcall("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));

    private final Path file;
    private int fd;

    private OfdLock(Path file, int fd) {
        this.file = file;
        this.fd = fd;
    }

    /**
     * Locks {@code file}: exclusively, or shared with other shared holders.
     *
     * @param create whether to create the file (empty, mode 0644) when it is missing
     * @return the lock, or empty when another open file description holds a conflicting one
     * @throws IOException the file cannot be opened, or the file system takes no locks (ENOLCK)
     */
    static Optional<OfdLock> tryLock(Path file, boolean exclusive, boolean create) throws IOException {
        int flags = (exclusive ? O_RDWR : O_RDONLY) | O_CLOEXEC | (create ? O_CREAT : 0);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            MemorySegment path = arena.allocateFrom(file.toString());
            int fd;
            do {
                fd = (int) OPEN.invokeExact(state, path, flags, 0644);
            } while (fd == -1 && errno(state) == EINTR);
            if (fd == -1) {
                throw new IOException("cannot open " + file + ": " + describe(errno(state)));
            }
            MemorySegment lock = arena.allocate(FLOCK); // zeroed: l_start 0, l_len 0 (to the end), l_pid 0
            L_TYPE.set(lock, 0L, exclusive ? F_WRLCK : F_RDLCK);
            L_WHENCE.set(lock, 0L, SEEK_SET);
            int r;
            do {
                r = (int) FCNTL.invokeExact(state, fd, F_OFD_SETLK, lock);
            } while (r == -1 && errno(state) == EINTR);
            if (r == 0) {
                return Optional.of(new OfdLock(file, fd));
            }
            int errno = errno(state);
            int closed = (int) CLOSE.invokeExact(state, fd);
            if (errno == EAGAIN || errno == EACCES) {
                return Optional.empty();
            }
            throw new IOException("cannot lock " + file + ": " + describe(errno) + (closed == 0 ? "" : " (and close failed)"));
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("native call failed", t); // invokeExact's signature; not reached
        }
    }

    Path file() {
        return file;
    }

    /** Releases the lock (closing the open file description); later calls do nothing. */
    @Override
    public synchronized void close() throws IOException {
        if (fd < 0) {
            return;
        }
        int r;
        int errno;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            r = (int) CLOSE.invokeExact(state, fd);
            errno = errno(state);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("native call failed", t);
        }
        fd = -1; // closed even when close(2) reports an error: the descriptor is gone on Linux
        if (r != 0) {
            throw new IOException("closing the lock of " + file + " failed: " + describe(errno));
        }
    }

    /** The errnos an operator meets here, named; others by number. */
    private static String describe(int errno) {
        return switch (errno) {
            case 2 -> "no such file or directory (ENOENT)";
            case 13 -> "permission denied (EACCES)";
            case 21 -> "is a directory (EISDIR)";
            case 22 -> "this kernel has no open file description locks (EINVAL; Linux 3.15 or later needed)";
            case 30 -> "read-only file system (EROFS)";
            case 37 -> "the file system takes no locks (ENOLCK)";
            default -> "errno " + errno;
        };
    }

    private static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    @SuppressWarnings("restricted") // native access: the jar's manifest and surefire enable it, as for the engine's store
    private static MethodHandle downcall(String name, FunctionDescriptor fd, Linker.Option... extra) {
        MemorySegment symbol = LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
        Linker.Option[] options = new Linker.Option[extra.length + 1];
        options[0] = Linker.Option.captureCallState("errno");
        System.arraycopy(extra, 0, options, 1, extra.length);
        return LINKER.downcallHandle(symbol, fd, options);
    }
}
