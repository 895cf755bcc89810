package io.blockhaus.engine.errno;

/**
 * Every failure the engine reports: an {@link Errno} and a message a person can act on.
 * Unchecked because every engine operation can fail with one, and front ends catch it in one
 * place to turn it into a protocol error.
 */
public final class ErrnoException extends RuntimeException {
    private final Errno errno;

    public ErrnoException(Errno errno, String message) {
        super(message);
        this.errno = errno;
    }

    public ErrnoException(Errno errno, String message, Throwable cause) {
        super(message, cause);
        this.errno = errno;
    }

    public Errno errno() {
        return errno;
    }

    @Override
    public String getMessage() {
        return errno.name() + ": " + super.getMessage();
    }
}
