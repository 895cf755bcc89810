package io.blockhaus.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.rpc.ErrorInfo;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import org.junit.jupiter.api.Test;

class ClientErrorsTest {

    private static Throwable withReason(Status.Code code, String reason, boolean retryable) {
        return StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder().setCode(code.value())
                .setMessage(reason + ": because").addDetails(Any.pack(ErrorInfo.newBuilder().setReason(reason)
                        .setDomain(ClientErrors.DOMAIN).putMetadata("retryable", Boolean.toString(retryable)).build()))
                .build());
    }

    @Test
    void theErrnoNameFromErrorInfoPicksTheType() {
        BlockhausException e = ClientErrors.from(withReason(Status.Code.ABORTED, "EDEADLOCK", false));
        assertThat(e).isInstanceOf(BlockhausException.Deadlock.class);
        assertThat(e.errno()).isEqualTo("EDEADLOCK");
        assertThat(e.getMessage()).isEqualTo("EDEADLOCK: because");
        assertThat(ClientErrors.from(withReason(Status.Code.FAILED_PRECONDITION, "EROFS", false)))
                .isInstanceOf(BlockhausException.NotPermitted.class);
        assertThat(ClientErrors.from(withReason(Status.Code.RESOURCE_EXHAUSTED, "ENOSPC", false)))
                .isInstanceOf(BlockhausException.NoSpace.class);
        BlockhausException t = ClientErrors.from(withReason(Status.Code.DEADLINE_EXCEEDED, "ETIMEDOUT", true));
        assertThat(t).isInstanceOf(BlockhausException.Unavailable.class);
        assertThat(t.retryable()).isTrue();
        // The reason wins over the code: ESHUTDOWN is not a plain EIO whatever code carries it.
        assertThat(ClientErrors.from(withReason(Status.Code.INTERNAL, "ESHUTDOWN", false)))
                .isInstanceOf(BlockhausException.Unavailable.class);
    }

    @Test
    void aStatusWithoutErrorInfoGetsTheNearestErrno() {
        BlockhausException e = ClientErrors.from(Status.UNAVAILABLE.withDescription("connection refused").asRuntimeException());
        assertThat(e.errno()).isEqualTo("ECONNRESET");
        assertThat(e.retryable()).isTrue();
        assertThat(e).isInstanceOf(BlockhausException.Unavailable.class);
        assertThat(ClientErrors.from(Status.DEADLINE_EXCEEDED.asRuntimeException()).errno()).isEqualTo("ETIMEDOUT");
        BlockhausException other = ClientErrors.from(new IllegalStateException("x"));
        assertThat(other.errno()).isEqualTo("EIO");
        assertThat(other.getClass()).isEqualTo(BlockhausException.class);
    }
}
