package io.blockhaus.engine;

import io.blockhaus.engine.store.FfmNativeIo;
import io.blockhaus.engine.store.NativeIoException;
import io.blockhaus.engine.store.Pipe;
import java.nio.ByteBuffer;

/**
 * A kernel pipe that a front end fills from its socket so that a large write's bytes go on into
 * the volume's file without entering the JVM ({@link FastPaths#writeFromPipe}): the engine's face of
 * the store's {@link Pipe}, so front ends see the engine's errors (ErrnoException) and never the
 * store's system calls. One owner at a time, handed between threads through an executor, as the
 * store's pipe says.
 */
public final class PayloadPipe implements AutoCloseable {
    private final Pipe pipe;

    PayloadPipe(Pipe pipe) {
        this.pipe = pipe;
    }

    /**
     * A new pipe of about {@code capacity} bytes ({@link #capacity()} tells what the kernel
     * granted). ENOSYS, EMFILE and the like come as ErrnoException.
     */
    public static PayloadPipe open(int capacity) {
        try {
            return new PayloadPipe(Pipe.open(FfmNativeIo.instance(), capacity));
        } catch (NativeIoException e) {
            throw e.toErrnoException("open a pipe for WRITE payloads");
        }
    }

    public int capacity() {
        return pipe.capacity();
    }

    /** Bytes in the pipe, put in and not yet taken out. */
    public long buffered() {
        return pipe.buffered();
    }

    /**
     * Moves what has arrived (up to {@code max} bytes) from socket descriptor {@code fd} into the
     * pipe, never waiting; the bytes moved, or -1 at the socket's end of input. See {@link Pipe#fillFrom}.
     */
    public long fillFrom(int fd, long max) {
        try {
            return pipe.fillFrom(fd, max);
        } catch (NativeIoException e) {
            throw e.toErrnoException("splice a WRITE payload from the socket");
        }
    }

    /** Copies {@code dst.remaining()} bytes out of the pipe into {@code dst}, a direct buffer. */
    public void drainTo(ByteBuffer dst) {
        try {
            pipe.drainTo(dst);
        } catch (NativeIoException e) {
            throw e.toErrnoException("read a WRITE payload from its pipe");
        }
    }

    /** The store's pipe, for the engine's write paths. */
    Pipe storePipe() {
        return pipe;
    }

    @Override
    public void close() {
        pipe.close();
    }
}
