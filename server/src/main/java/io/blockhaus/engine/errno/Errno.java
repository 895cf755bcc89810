package io.blockhaus.engine.errno;

/**
 * The POSIX error numbers the engine reports. Front ends translate them into what their protocol
 * can carry (NBD has a short list; gRPC carries the name), so the engine never needs to know which
 * front end asked.
 */
public enum Errno {
    EPERM(1),
    EINTR(4),
    EIO(5),
    ENOMEM(12),
    EFAULT(14),
    EBUSY(16),
    EINVAL(22),
    EFBIG(27),
    ENOSPC(28),
    EROFS(30),
    EDEADLOCK(35),
    EOVERFLOW(75),
    ENOTSUP(95),
    ESHUTDOWN(108),
    ETIMEDOUT(110);

    private final int code;

    Errno(int code) {
        this.code = code;
    }

    /** The Linux x86-64 numeric value. */
    public int code() {
        return code;
    }
}
