package io.blockhaus.engine.store;

import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import java.nio.file.Path;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The one open descriptor of a {@link SparseFileStore} and what every part of the store shares
 * about it: the path it was opened by (for messages), whether it is read-only, its block
 * alignment, its size, and the lifecycle lock that keeps it open while a call uses it.
 *
 * <p>Why a lock around a number: a descriptor is only an index into the process's file table.
 * If close(2) ran while a pread was about to use it, the number could already name a file some
 * other thread opened meanwhile, and the pread would read (a pwrite would corrupt) that file. So
 * every call holds the read side of {@code lifecycle} for as long as it uses the number
 * ({@link #enter()} to {@link #exit()}), and {@link #close} takes the write side: it waits for the
 * calls running, and later ones fail with ESHUTDOWN. A call that must not block
 * ({@link #tryEnter()}) only tries the read side and answers "not now" while a close runs.
 *
 * <p>{@code size} is the store's idea of the file's length: set only by the resizing operations
 * (serialized among themselves by {@link FileResizing}), read by every call without a lock.
 */
final class OpenFile {
    private final FileIo file;
    private final Path path;
    private final boolean readOnly;
    private final int blockAlignment;
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private boolean closed; // guarded by lifecycle's write lock
    private volatile long size;

    OpenFile(NativeIo io, Path path, int fd, long size, int blockAlignment, boolean readOnly) {
        this.file = new FileIo(io, fd);
        this.path = path;
        this.readOnly = readOnly;
        this.blockAlignment = blockAlignment;
        this.size = size;
    }

    FileIo file() {
        return file;
    }

    NativeIo io() {
        return file.io();
    }

    int fd() {
        return file.fd();
    }

    Path path() {
        return path;
    }

    boolean readOnly() {
        return readOnly;
    }

    int blockAlignment() {
        return blockAlignment;
    }

    long size() {
        return size;
    }

    /** Only under {@link FileResizing}'s lock (or by the one thread that has the file to itself). */
    void setSize(long size) {
        this.size = size;
    }

    /** Holds the descriptor open until {@link #exit()}; ESHUTDOWN once the store is closed. */
    void enter() {
        lifecycle.readLock().lock();
        if (closed) {
            lifecycle.readLock().unlock();
            throw new ErrnoException(Errno.ESHUTDOWN, path + " is closed");
        }
    }

    /** As {@link #enter()}, for an operation that changes the file: EROFS on a read-only store. */
    void enterForChange() {
        enter();
        if (readOnly) {
            exit();
            throw new ErrnoException(Errno.EROFS, path + " is open read-only");
        }
    }

    /**
     * {@link #enter()} for a caller that must not block: false, holding nothing, while a close
     * runs or after it (the blocking path then reports ESHUTDOWN); true, to be paired with
     * {@link #exit()}, otherwise.
     */
    boolean tryEnter() {
        if (!lifecycle.readLock().tryLock()) {
            return false; // closing
        }
        if (closed) {
            lifecycle.readLock().unlock();
            return false;
        }
        return true;
    }

    void exit() {
        lifecycle.readLock().unlock();
    }

    /**
     * Read without the lock, for a caller that only opens something extra on the descriptor and
     * is itself cleaned up by {@code beforeClose} (see {@link ZeroCopyTransfers}).
     */
    boolean closedHint() {
        return closed;
    }

    /**
     * Closes the descriptor once every running call has left, after {@code beforeClose} (which
     * releases what was opened on it, under the same write lock). Idempotent.
     */
    void close(Runnable beforeClose) {
        lifecycle.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            beforeClose.run();
            file.io().close(file.fd());
        } catch (NativeIoException e) {
            throw e.toErrnoException("close " + path);
        } finally {
            lifecycle.writeLock().unlock();
        }
    }

    /** EINVAL unless a change of {@code [offset, offset+length)} lies within the current size. */
    void checkRange(String what, long offset, long length) {
        StoreArguments.checkWithin(what, offset, length, size);
    }

    /** EINVAL unless both numbers are multiples of the block alignment (collapse and insert). */
    void checkAligned(String what, long offset, long length) {
        StoreArguments.checkAligned(what, offset, length, blockAlignment);
    }
}
