package io.blockhaus.engine.store;

import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;

import java.io.IOException;

/**
 * A failed system call and the raw Linux errno it set. Checked, so that every caller of
 * {@link NativeIo} must decide what a failure means (a refused feature to fall back from, or an
 * error for the client) before it becomes an {@link ErrnoException}.
 */
public final class NativeIoException extends IOException {
    // Linux x86-64 / aarch64 values (asm-generic/errno*.h); only those the store inspects.
    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int EINTR = 4;
    public static final int EIO = 5;
    public static final int EAGAIN = 11;
    public static final int ENXIO = 6;
    public static final int ENOMEM = 12;
    public static final int EACCES = 13;
    public static final int EEXIST = 17;
    public static final int EINVAL = 22;
    public static final int EFBIG = 27;
    public static final int ENOSPC = 28;
    public static final int EROFS = 30;
    public static final int ENOSYS = 38;
    public static final int EOPNOTSUPP = 95;
    public static final int EDQUOT = 122;

    private final int errno;

    public NativeIoException(String call, int errno) {
        super(call + " failed: " + name(errno) + " (errno " + errno + ")");
        this.errno = errno;
    }

    /** The symbolic name of the errnos above, for messages a person reads. */
    static String name(int errno) {
        return switch (errno) {
            case EPERM -> "EPERM";
            case ENOENT -> "ENOENT";
            case EINTR -> "EINTR";
            case EIO -> "EIO";
            case EAGAIN -> "EAGAIN";
            case ENXIO -> "ENXIO";
            case ENOMEM -> "ENOMEM";
            case EACCES -> "EACCES";
            case EEXIST -> "EEXIST";
            case EINVAL -> "EINVAL";
            case EFBIG -> "EFBIG";
            case ENOSPC -> "ENOSPC";
            case EROFS -> "EROFS";
            case ENOSYS -> "ENOSYS";
            case EOPNOTSUPP -> "EOPNOTSUPP";
            case EDQUOT -> "EDQUOT";
            default -> "errno";
        };
    }

    public int errno() {
        return errno;
    }

    /** True when the errno says "this file system does not do that", as opposed to a real error. */
    public boolean isUnsupported() {
        return errno == EOPNOTSUPP || errno == ENOSYS;
    }

    /**
     * The engine's view of this failure. Only codes a client can act on keep their meaning;
     * everything unexpected is EIO, because the client cannot tell it apart from a bad disk.
     */
    public ErrnoException toErrnoException(String what) {
        Errno mapped = switch (errno) {
            case ENOSPC, EDQUOT -> Errno.ENOSPC;
            case EINVAL -> Errno.EINVAL;
            case EFBIG -> Errno.EFBIG;
            case ENOMEM -> Errno.ENOMEM;
            case EROFS -> Errno.EROFS;
            case EPERM, EACCES -> Errno.EPERM;
            case EOPNOTSUPP, ENOSYS -> Errno.ENOTSUP;
            default -> Errno.EIO;
        };
        return new ErrnoException(mapped, what + ": " + getMessage(), this);
    }
}
