package io.blockhaus.engine.store;

import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * A kernel pipe used as a buffer that never enters the JVM: bytes are spliced into it from a
 * socket and out of it into a file ({@link BackingStore#writeFrom}), so a large write travels
 * from the network to the file with one copy (the one into the file's page cache) instead of
 * three (socket to JVM, JVM to file, and the kernel's own).
 *
 * <p>Why a pipe: splice(2) moves page references, not bytes, as long as one side is a pipe; a
 * socket's received pages go into the pipe by reference, and only the write into the file
 * copies them.
 *
 * <p>One owner at a time: the thread that fills it hands it to the one that empties it through an
 * executor (which orders the two), and gets it back the same way. {@link #buffered()} says how
 * much it holds; a pipe is reused only when it is empty, since stale bytes in a reused pipe would
 * be written into the next request's range.
 */
public final class Pipe implements AutoCloseable {
    private final NativeIo io;
    private final int readFd;
    private final int writeFd;
    private final int capacity;
    private long buffered;
    private boolean closed;

    private Pipe(NativeIo io, int readFd, int writeFd, int capacity) {
        this.io = io;
        this.readFd = readFd;
        this.writeFd = writeFd;
        this.capacity = capacity;
    }

    /**
     * A new pipe of about {@code capacity} bytes (the kernel may grant less, e.g. past
     * /proc/sys/fs/pipe-max-size for an unprivileged user: {@link #capacity()} tells).
     */
    public static Pipe open(NativeIo io, int capacity) throws NativeIoException {
        int[] fds = io.pipe();
        int granted;
        try {
            granted = io.setPipeSize(fds[1], capacity);
        } catch (NativeIoException e) {
            try {
                granted = io.setPipeSize(fds[1], 64 * 1024); // the default size: ask what it is
            } catch (NativeIoException again) {
                closeQuietly(io, fds[0]);
                closeQuietly(io, fds[1]);
                throw e;
            }
        }
        return new Pipe(io, fds[0], fds[1], granted);
    }

    /** Bytes the pipe can hold. */
    public int capacity() {
        return capacity;
    }

    /** Bytes in the pipe, put in and not yet taken out. */
    public long buffered() {
        return buffered;
    }

    /**
     * Moves up to {@code max} bytes from {@code fd} (a socket) into the pipe without waiting for
     * either: stops when the socket has nothing more now, the pipe is full, or {@code max} is
     * reached. Returns the bytes moved; -1 if the socket is at end of input before any. A failure
     * after some bytes moved returns those (the socket's owner sees the error on its next read);
     * only one before any is thrown.
     */
    public long fillFrom(int fd, long max) throws NativeIoException {
        long done = 0;
        while (done < max) {
            long n;
            try {
                n = io.splice(fd, -1, writeFd, -1, max - done, NativeIo.SPLICE_F_MOVE | NativeIo.SPLICE_F_NONBLOCK);
            } catch (NativeIoException e) {
                if (done > 0) {
                    break;
                }
                throw e;
            }
            if (n == NativeIo.WOULD_BLOCK) {
                break;
            }
            if (n == 0) {
                if (done == 0) {
                    return -1;
                }
                break;
            }
            done += n;
            buffered += n;
        }
        return done;
    }

    /** Copies {@code dst.remaining()} bytes out of the pipe into {@code dst}, a direct buffer. */
    public void drainTo(ByteBuffer dst) throws NativeIoException {
        MemorySegment seg = MemorySegment.ofBuffer(dst);
        long want = seg.byteSize();
        if (want > buffered) {
            throw new IllegalArgumentException("drain of " + want + " bytes from a pipe holding " + buffered);
        }
        long done = 0;
        while (done < want) {
            long n = io.read(readFd, seg.asSlice(done));
            if (n <= 0) {
                throw new NativeIoException("read", NativeIoException.EIO);
            }
            done += n;
            buffered -= n;
        }
        dst.position(dst.limit());
    }

    /**
     * Splices {@code length} bytes out of the pipe into {@code fd} at {@code offset}, a file of the
     * store that calls, through the store's own system calls {@code fileIo}.
     */
    void spliceTo(NativeIo fileIo, int fd, long offset, long length) throws NativeIoException {
        if (length > buffered) {
            throw new ErrnoException(Errno.EINVAL, "splice of " + length + " bytes from a pipe holding " + buffered);
        }
        long done = 0;
        while (done < length) {
            long n = fileIo.splice(readFd, -1, fd, offset + done, length - done, NativeIo.SPLICE_F_MOVE);
            if (n <= 0) {
                // The pipe holds the bytes (counted above): a 0 here is the kernel refusing.
                throw new NativeIoException("splice", NativeIoException.EIO);
            }
            done += n;
            buffered -= n;
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            closeQuietly(io, readFd);
            closeQuietly(io, writeFd);
        }
    }

    private static void closeQuietly(NativeIo io, int fd) {
        try {
            io.close(fd);
        } catch (NativeIoException ignored) {
            // Nothing to do about a failed close of a pipe end; its data is not the user's.
        }
    }
}
