package io.blockhaus.grpc;

import com.google.protobuf.Any;
import com.google.rpc.ErrorInfo;
import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.lang.System.Logger.Level;

/**
 * The one place failures become gRPC statuses. Every status carries a google.rpc.ErrorInfo whose
 * reason is the errno name (the contract clients program against: EDEADLOCK means "retry as
 * buffered I/O", whatever code carries it) in domain {@value #DOMAIN}. The mapping also says how
 * loudly to log (a client's bad input is not the server's problem; a bug is) and whether the
 * same call may succeed if simply repeated.
 */
final class GrpcErrors {
    static final String DOMAIN = "blockhaus.io";

    /** A failure as a status, with how to log it and whether a plain retry can help. */
    record Mapped(StatusRuntimeException status, Level level, boolean retryable) {
    }

    private GrpcErrors() {
    }

    static Mapped map(Throwable t) {
        if (t instanceof ErrnoException e) {
            Errno errno = e.errno();
            return build(code(errno), errno.name(), e.getMessage(), level(errno), retryable(errno));
        }
        if (t instanceof RequestException e) {
            return build(e.code(), e.reason(), e.getMessage(), Level.DEBUG, false);
        }
        if (t instanceof StatusRuntimeException e) {
            Status.Code code = e.getStatus().getCode();
            String reason = switch (code) {
                case DEADLINE_EXCEEDED -> "ETIMEDOUT";
                case CANCELLED -> "ECANCELED";
                default -> "EIO";
            };
            return build(code, reason, reason + ": " + e.getStatus().getDescription(), Level.DEBUG,
                    code == Status.Code.UNAVAILABLE);
        }
        // Anything else is a bug in the server: say so, and log it with its stack.
        return build(Status.Code.INTERNAL, "EIO", "internal error: " + t, Level.ERROR, false);
    }

    /** Exhaustive over the engine's errnos: a new errno does not compile until it is placed here. */
    static Status.Code code(Errno errno) {
        return switch (errno) {
            case EPERM -> Status.Code.PERMISSION_DENIED;
            case EROFS, EBUSY -> Status.Code.FAILED_PRECONDITION;
            case EINVAL, EFAULT -> Status.Code.INVALID_ARGUMENT;
            case EFBIG, EOVERFLOW -> Status.Code.OUT_OF_RANGE;
            case ENOSPC, ENOMEM -> Status.Code.RESOURCE_EXHAUSTED;
            // Google's guide: ABORTED is a concurrency conflict to retry at a higher level,
            // which is what the client library's buffered fallback is.
            case EDEADLOCK -> Status.Code.ABORTED;
            case ENOTSUP -> Status.Code.UNIMPLEMENTED;
            case ESHUTDOWN -> Status.Code.UNAVAILABLE;
            case ETIMEDOUT -> Status.Code.DEADLINE_EXCEEDED;
            case EINTR -> Status.Code.CANCELLED;
            case EIO -> Status.Code.INTERNAL;
        };
    }

    private static Level level(Errno errno) {
        return switch (errno) {
            case EIO -> Level.WARNING;
            case ENOMEM, ETIMEDOUT -> Level.INFO;
            case EPERM, EROFS, EBUSY, EINVAL, EFAULT, EFBIG, EOVERFLOW, ENOSPC, EDEADLOCK, ENOTSUP, ESHUTDOWN, EINTR ->
                    Level.DEBUG;
        };
    }

    /** Whether the same call may succeed later unchanged: waits that ran out, memory that was short. */
    private static boolean retryable(Errno errno) {
        return switch (errno) {
            case ENOMEM, ETIMEDOUT, EINTR -> true;
            case EPERM, EROFS, EBUSY, EINVAL, EFAULT, EFBIG, EOVERFLOW, ENOSPC, EDEADLOCK, ENOTSUP, ESHUTDOWN, EIO ->
                    false;
        };
    }

    private static Mapped build(Status.Code code, String reason, String message, Level level, boolean retryable) {
        ErrorInfo info = ErrorInfo.newBuilder()
                .setReason(reason)
                .setDomain(DOMAIN)
                .putMetadata("retryable", Boolean.toString(retryable))
                .build();
        com.google.rpc.Status status = com.google.rpc.Status.newBuilder()
                .setCode(code.value())
                .setMessage(message == null ? reason : message)
                .addDetails(Any.pack(info))
                .build();
        return new Mapped(StatusProto.toStatusRuntimeException(status), level, retryable);
    }
}
