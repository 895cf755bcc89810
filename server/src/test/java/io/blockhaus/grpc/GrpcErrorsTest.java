package io.blockhaus.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.rpc.ErrorInfo;
import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import java.lang.System.Logger.Level;
import org.junit.jupiter.api.Test;

class GrpcErrorsTest {

    private static ErrorInfo info(GrpcErrors.Mapped m) throws Exception {
        com.google.rpc.Status s = StatusProto.fromThrowable(m.status());
        assertThat(s).isNotNull();
        assertThat(s.getDetailsCount()).isEqualTo(1);
        return s.getDetails(0).unpack(ErrorInfo.class);
    }

    @Test
    void everyErrnoCarriesItsNameAndACode() throws Exception {
        for (Errno e : Errno.values()) {
            GrpcErrors.Mapped m = GrpcErrors.map(new ErrnoException(e, "x"));
            assertThat(info(m).getReason()).isEqualTo(e.name());
            assertThat(info(m).getDomain()).isEqualTo(GrpcErrors.DOMAIN);
            assertThat(m.status().getStatus().getCode()).isNotIn(Status.Code.OK, Status.Code.UNKNOWN);
            assertThat(m.status().getStatus().getDescription()).isEqualTo(e.name() + ": x");
        }
    }

    @Test
    void codesLevelsAndRetryabilityOfTheOnesClientsActOn() throws Exception {
        GrpcErrors.Mapped deadlock = GrpcErrors.map(new ErrnoException(Errno.EDEADLOCK, "x"));
        assertThat(deadlock.status().getStatus().getCode()).isEqualTo(Status.Code.ABORTED);
        assertThat(deadlock.level()).isEqualTo(Level.DEBUG);
        assertThat(deadlock.retryable()).isFalse();
        GrpcErrors.Mapped rofs = GrpcErrors.map(new ErrnoException(Errno.EROFS, "x"));
        assertThat(rofs.status().getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        GrpcErrors.Mapped timeout = GrpcErrors.map(new ErrnoException(Errno.ETIMEDOUT, "x"));
        assertThat(timeout.status().getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
        assertThat(timeout.retryable()).isTrue();
        assertThat(info(timeout).getMetadataMap()).containsEntry("retryable", "true");
        GrpcErrors.Mapped eio = GrpcErrors.map(new ErrnoException(Errno.EIO, "disk"));
        assertThat(eio.level()).isEqualTo(Level.WARNING);
        GrpcErrors.Mapped missing = GrpcErrors.map(RequestException.notFound("no volume"));
        assertThat(missing.status().getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(info(missing).getReason()).isEqualTo("ENOENT");
    }

    @Test
    void aBugIsInternalAndLoggedAsAnError() throws Exception {
        GrpcErrors.Mapped m = GrpcErrors.map(new NullPointerException("oops"));
        assertThat(m.status().getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
        assertThat(m.level()).isEqualTo(Level.ERROR);
        assertThat(info(m).getReason()).isEqualTo("EIO");
    }
}
