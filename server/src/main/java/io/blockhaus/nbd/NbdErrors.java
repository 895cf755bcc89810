package io.blockhaus.nbd;

import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import io.blockhaus.nbd.codec.NbdError;

/**
 * The one place engine failures become NBD error codes. NBD carries only eight errnos; the rest
 * map to the nearest one a client acts on the same way.
 */
final class NbdErrors {
    private NbdErrors() {
    }

    static NbdError of(Errno errno) {
        return switch (errno) {
            case EPERM, EROFS -> NbdError.EPERM;
            case ENOMEM -> NbdError.ENOMEM;
            case EINVAL, EFAULT, EDEADLOCK -> NbdError.EINVAL;
            case ENOSPC, EFBIG -> NbdError.ENOSPC;
            case EOVERFLOW -> NbdError.EOVERFLOW;
            case ENOTSUP -> NbdError.ENOTSUP;
            case ESHUTDOWN -> NbdError.ESHUTDOWN;
            case EIO, EINTR, EBUSY, ETIMEDOUT -> NbdError.EIO;
        };
    }

    /** Any exception from an operation: errno exceptions map; anything else is a bug reported as EIO. */
    static NbdError of(Throwable t) {
        return t instanceof ErrnoException e ? of(e.errno()) : NbdError.EIO;
    }
}
