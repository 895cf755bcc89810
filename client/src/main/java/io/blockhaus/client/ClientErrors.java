package io.blockhaus.client;

import com.google.rpc.ErrorInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;

/**
 * The one factory from a failed call to a {@link BlockhausException}: the errno name from the
 * status's ErrorInfo (domain blockhaus.io) picks the type; a status without one (the transport,
 * a deadline set by the caller, a proxy) gets the errno nearest its code.
 */
final class ClientErrors {
    static final String DOMAIN = "blockhaus.io";

    private ClientErrors() {
    }

    static BlockhausException from(Throwable t) {
        if (t instanceof BlockhausException b) {
            return b;
        }
        Status status = Status.fromThrowable(t);
        String errno = null;
        boolean retryable = false;
        com.google.rpc.Status detail = t instanceof StatusRuntimeException ? StatusProto.fromThrowable(t) : null;
        if (detail != null) {
            for (com.google.protobuf.Any any : detail.getDetailsList()) {
                if (any.is(ErrorInfo.class)) {
                    try {
                        ErrorInfo info = any.unpack(ErrorInfo.class);
                        if (DOMAIN.equals(info.getDomain())) {
                            errno = info.getReason();
                            retryable = Boolean.parseBoolean(info.getMetadataOrDefault("retryable", "false"));
                        }
                    } catch (com.google.protobuf.InvalidProtocolBufferException ignored) {
                        // a detail we cannot read is as good as none
                    }
                }
            }
        }
        if (errno == null) {
            errno = errnoOf(status.getCode());
            retryable = status.getCode() == Status.Code.UNAVAILABLE;
        }
        String description = status.getDescription() == null ? status.getCode().name() : status.getDescription();
        String message = description.startsWith(errno + ":") ? description : errno + ": " + description;
        return of(errno, status.getCode(), retryable, message, t);
    }

    static BlockhausException of(String errno, Status.Code code, boolean retryable, String message, Throwable cause) {
        return switch (errno) {
            case "EDEADLOCK" -> new BlockhausException.Deadlock(errno, code, retryable, message, cause);
            case "ESTALE" -> new BlockhausException.Stale(errno, code, retryable, message, cause);
            case "ENOENT" -> new BlockhausException.NotFound(errno, code, retryable, message, cause);
            case "EEXIST" -> new BlockhausException.AlreadyExists(errno, code, retryable, message, cause);
            case "EROFS", "EPERM", "EBUSY" -> new BlockhausException.NotPermitted(errno, code, retryable, message, cause);
            case "EINVAL", "EFAULT", "EOVERFLOW" -> new BlockhausException.InvalidArgument(errno, code, retryable, message, cause);
            case "ENOSPC", "EFBIG", "ENOMEM", "EMFILE" -> new BlockhausException.NoSpace(errno, code, retryable, message, cause);
            case "ETIMEDOUT", "ESHUTDOWN", "ECONNRESET" -> new BlockhausException.Unavailable(errno, code, retryable, message, cause);
            default -> new BlockhausException(errno, code, retryable, message, cause);
        };
    }

    /** For statuses that carry no errno: the nearest one. */
    static String errnoOf(Status.Code code) {
        return switch (code) {
            case OK -> "0";
            case CANCELLED -> "ECANCELED";
            case INVALID_ARGUMENT, OUT_OF_RANGE -> "EINVAL";
            case DEADLINE_EXCEEDED -> "ETIMEDOUT";
            case NOT_FOUND -> "ENOENT";
            case ALREADY_EXISTS -> "EEXIST";
            case PERMISSION_DENIED, UNAUTHENTICATED -> "EPERM";
            case RESOURCE_EXHAUSTED -> "ENOMEM";
            case FAILED_PRECONDITION -> "EBUSY";
            case ABORTED -> "EDEADLOCK";
            case UNIMPLEMENTED -> "ENOTSUP";
            case UNAVAILABLE -> "ECONNRESET";
            case UNKNOWN, INTERNAL, DATA_LOSS -> "EIO";
        };
    }
}
