package io.blockhaus.engine.store;

import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Turns a path into an {@link OpenFile}: creates a new sparse file (all hole) or opens an
 * existing one, learns its size and block alignment, and leaves nothing behind when that fails.
 *
 * <p>Why apart from the store: everything here runs before there is a store to lock or close,
 * so its failures are cleaned up by hand (the descriptor closed, a file this call created
 * deleted), which none of the store's operations ever has to think about.
 */
final class SparseFileOpener {
    private static final int DEFAULT_BLOCK = 4096;
    private static final int MAX_BLOCK = 1 << 20;

    private SparseFileOpener() {
    }

    /** A new file of {@code size} bytes, all hole; fails if it exists. */
    static OpenFile create(NativeIo io, Path path, long size) {
        if (size < 0) {
            throw new ErrnoException(Errno.EINVAL, "negative size " + size + " for " + path);
        }
        int fd;
        try {
            fd = io.open(path, NativeIo.O_RDWR | NativeIo.O_CREAT | NativeIo.O_EXCL | NativeIo.O_CLOEXEC, 0644);
        } catch (NativeIoException e) {
            throw e.toErrnoException("create " + path);
        }
        try {
            io.ftruncate(fd, size); // a hole: no blocks are written
            return new OpenFile(io, path, fd, size, blockSize(io, fd), false);
        } catch (NativeIoException e) {
            closeQuietly(io, fd);
            deleteQuietly(path);
            throw e.toErrnoException("create " + path + " with size " + size);
        }
    }

    /** An existing file, read-write or O_RDONLY; its length is the size. */
    static OpenFile open(NativeIo io, Path path, boolean readOnly) {
        int fd;
        try {
            fd = io.open(path, (readOnly ? NativeIo.O_RDONLY : NativeIo.O_RDWR) | NativeIo.O_CLOEXEC, 0);
        } catch (NativeIoException e) {
            throw e.toErrnoException("open " + path + (readOnly ? " for reading" : ""));
        }
        try {
            long size = io.lseek(fd, 0, NativeIo.SEEK_END);
            return new OpenFile(io, path, fd, size, blockSize(io, fd), readOnly);
        } catch (NativeIoException e) {
            closeQuietly(io, fd);
            throw e.toErrnoException("open " + path);
        }
    }

    /** fstatfs's block size when it is a sane power of two, else 4096: it only sets alignment. */
    private static int blockSize(NativeIo io, int fd) {
        try {
            int b = io.blockSize(fd);
            return b >= 512 && b <= MAX_BLOCK && Integer.bitCount(b) == 1 ? b : DEFAULT_BLOCK;
        } catch (NativeIoException e) {
            return DEFAULT_BLOCK;
        }
    }

    private static void closeQuietly(NativeIo io, int fd) {
        try {
            io.close(fd);
        } catch (NativeIoException ignored) {
            // Already failing with the error that matters; the descriptor is released regardless.
        }
    }

    private static void deleteQuietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (java.io.IOException ignored) {
            // Best effort: we created it a moment ago and the create is being reported as failed.
        }
    }
}
