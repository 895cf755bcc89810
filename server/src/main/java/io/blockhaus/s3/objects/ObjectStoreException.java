package io.blockhaus.s3.objects;

/**
 * A request the object store did not carry out. {@link #retryable()} separates what may succeed
 * later (the store unreachable, 5xx, throttling, a timeout) from what will not (access denied, no
 * such bucket, a malformed request); the data path turns either into EIO for clients, and keeps
 * the data it could not store.
 */
public final class ObjectStoreException extends RuntimeException {
    private final boolean retryable;
    private final int httpStatus;

    /**
     * @param httpStatus the store's HTTP status, or 0 when no answer came (connection refused, timeout)
     */
    public ObjectStoreException(String message, boolean retryable, int httpStatus, Throwable cause) {
        super(message, cause);
        this.retryable = retryable;
        this.httpStatus = httpStatus;
    }

    public boolean retryable() {
        return retryable;
    }

    /** The HTTP status the store answered with, or 0 when it did not answer. */
    public int httpStatus() {
        return httpStatus;
    }
}
