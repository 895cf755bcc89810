package io.blockhaus.client;

import io.grpc.Status;

/**
 * A call the server (or the transport) refused. {@link #errno()} is the server's errno name
 * (EINVAL, ENOSPC, EROFS, EDEADLOCK, ETIMEDOUT, ENOENT, ...), taken from the status's ErrorInfo;
 * a failure that never reached the server has none of its own and gets the nearest one
 * ({@link ClientErrors}). Subclasses name the ones a program handles differently.
 */
public class BlockhausException extends RuntimeException {
    private final String errno;
    private final Status.Code code;
    private final boolean retryable;

    BlockhausException(String errno, Status.Code code, boolean retryable, String message, Throwable cause) {
        super(message, cause);
        this.errno = errno;
        this.code = code;
        this.retryable = retryable;
    }

    /** The errno name, e.g. {@code EDEADLOCK}. */
    public String errno() {
        return errno;
    }

    public Status.Code code() {
        return code;
    }

    /** Whether repeating the same call unchanged may succeed (a wait that ran out, memory that was short, a lost connection). */
    public boolean retryable() {
        return retryable;
    }

    /** EDEADLOCK: a direct I/O whose buffer is a mapping of the same volume (DESIGN.md rule 2). */
    public static final class Deadlock extends BlockhausException {
        Deadlock(String errno, Status.Code code, boolean retryable, String message, Throwable cause) {
            super(errno, code, retryable, message, cause);
        }
    }

    /** ESTALE: a mapping was revoked (it missed a recall); map the range again. {@link MappedRegion} does. */
    public static final class Stale extends BlockhausException {
        Stale(String errno, Status.Code code, boolean retryable, String message, Throwable cause) {
            super(errno, code, retryable, message, cause);
        }
    }

    /** ENOENT: no such volume, handle or mapping. */
    public static final class NotFound extends BlockhausException {
        NotFound(String errno, Status.Code code, boolean retryable, String message, Throwable cause) {
            super(errno, code, retryable, message, cause);
        }
    }

    /** EEXIST: a volume by that name exists. */
    public static final class AlreadyExists extends BlockhausException {
        AlreadyExists(String errno, Status.Code code, boolean retryable, String message, Throwable cause) {
            super(errno, code, retryable, message, cause);
        }
    }

    /** EROFS, EPERM, EBUSY: the volume's state forbids the call now. */
    public static final class NotPermitted extends BlockhausException {
        NotPermitted(String errno, Status.Code code, boolean retryable, String message, Throwable cause) {
            super(errno, code, retryable, message, cause);
        }
    }

    /** EINVAL, EFAULT, EOVERFLOW: the request itself is wrong; nothing changed. */
    public static final class InvalidArgument extends BlockhausException {
        InvalidArgument(String errno, Status.Code code, boolean retryable, String message, Throwable cause) {
            super(errno, code, retryable, message, cause);
        }
    }

    /** ENOSPC, EFBIG, ENOMEM, EMFILE: past the end of the volume, or out of a resource. */
    public static final class NoSpace extends BlockhausException {
        NoSpace(String errno, Status.Code code, boolean retryable, String message, Throwable cause) {
            super(errno, code, retryable, message, cause);
        }
    }

    /** ETIMEDOUT, ESHUTDOWN, or the server out of reach: try again later, or elsewhere. */
    public static final class Unavailable extends BlockhausException {
        Unavailable(String errno, Status.Code code, boolean retryable, String message, Throwable cause) {
            super(errno, code, retryable, message, cause);
        }
    }
}
