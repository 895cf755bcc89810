package io.blockhaus.grpc;

import io.grpc.Status;

/**
 * A request the front end (or the {@link VolumeCatalog} behind it) refuses before any engine operation runs, for a reason the engine's
 * errno list does not carry (a name that names nothing, a name already taken). Carries the gRPC
 * code and the errno name that goes into ErrorInfo's reason, as engine failures do.
 */
public final class RequestException extends RuntimeException {
    private final Status.Code code;
    private final String reason;

    private RequestException(Status.Code code, String reason, String message) {
        super(message);
        this.code = code;
        this.reason = reason;
    }

    public static RequestException notFound(String message) {
        return new RequestException(Status.Code.NOT_FOUND, "ENOENT", message);
    }

    public static RequestException alreadyExists(String message) {
        return new RequestException(Status.Code.ALREADY_EXISTS, "EEXIST", message);
    }

    /** An admin RPC from a caller {@code --admin} does not name. */
    public static RequestException denied(String message) {
        return new RequestException(Status.Code.PERMISSION_DENIED, "EACCES", message);
    }

    public static RequestException invalid(String message) {
        return new RequestException(Status.Code.INVALID_ARGUMENT, "EINVAL", message);
    }

    /** A mapping revoked by a recall: the client maps the range again. */
    public static RequestException stale(String message) {
        return new RequestException(Status.Code.FAILED_PRECONDITION, "ESTALE", message);
    }

    public static RequestException tooMany(String message) {
        return new RequestException(Status.Code.RESOURCE_EXHAUSTED, "EMFILE", message);
    }

    Status.Code code() {
        return code;
    }

    String reason() {
        return reason;
    }
}
