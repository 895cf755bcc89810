package io.blockhaus.grpc;

import io.grpc.stub.StreamObserver;
import java.lang.System.Logger;
import java.util.function.Supplier;

/**
 * Runs calls and ends them: the answer, or the failure mapped by {@link GrpcErrors} and logged at
 * the level it picked. Service methods already run on the server's bounded executor, never on
 * a transport thread, so the engine may block here.
 */
final class Calls {
    private static final Logger LOG = System.getLogger("io.blockhaus.grpc");

    private Calls() {
    }

    static <T> void unary(StreamObserver<T> observer, Supplier<T> body) {
        T answer;
        try {
            answer = body.get();
        } catch (RuntimeException | Error e) {
            fail(observer, e);
            return;
        }
        observer.onNext(answer);
        observer.onCompleted();
    }

    static void fail(StreamObserver<?> observer, Throwable t) {
        GrpcErrors.Mapped m = GrpcErrors.map(t);
        if (LOG.isLoggable(m.level())) {
            LOG.log(m.level(), "call failed: " + m.status().getStatus(), m.level() == Logger.Level.ERROR ? t : null);
        }
        observer.onError(m.status());
    }
}
