package io.blockhaus.grpc;

import io.grpc.ServerBuilder;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * How a {@link GrpcServer} is set up beyond its address, catalog and threads: the recall timeout,
 * what one client may ask ({@link GrpcLimits}), TLS, allow lists and the admin rule
 * ({@link GrpcSecurity}), and a hook on the transport's builder ({@code serve}'s metrics: an
 * interceptor and a transport filter). One value, so a new concern is a field here rather than
 * another overload of every {@code listen}.
 */
public record GrpcSetup(Duration recall, GrpcLimits limits, GrpcSecurity security, Consumer<ServerBuilder<?>> decorate) {

    /** The defaults: 5 s recall, default limits, no TLS, no allow lists, admin from this host only, no hook. */
    public static final GrpcSetup DEFAULTS =
            new GrpcSetup(GrpcServer.DEFAULT_RECALL_TIMEOUT, GrpcLimits.DEFAULTS, GrpcSecurity.NONE, b -> { });

    public GrpcSetup {
        Objects.requireNonNull(recall, "recall");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(security, "security");
        Objects.requireNonNull(decorate, "decorate");
    }

    public GrpcSetup withRecall(Duration r) {
        return new GrpcSetup(r, limits, security, decorate);
    }

    public GrpcSetup withLimits(GrpcLimits l) {
        return new GrpcSetup(recall, l, security, decorate);
    }

    public GrpcSetup withSecurity(GrpcSecurity s) {
        return new GrpcSetup(recall, limits, s, decorate);
    }

    public GrpcSetup withDecoration(Consumer<ServerBuilder<?>> d) {
        return new GrpcSetup(recall, limits, security, d);
    }
}
