package io.blockhaus.grpc;

import io.blockhaus.tls.ExportAccess;
import io.netty.handler.ssl.SslContext;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What the gRPC front end enforces: TLS on its port (when {@code ssl} is present every connection
 * is TLS, as gRPC has no STARTTLS), which volumes a caller may see and open ({@code access}, the
 * same allow lists as NBD's), and who may create, delete and resize volumes ({@code admins}).
 *
 * @param ssl    the server's TLS context (grpc-netty's ALPN set up), or empty for plaintext
 * @param access the allow lists: a volume a caller may not open is NOT_FOUND to it and unlisted
 * @param admins the identities named by {@code --admin}; empty: admin RPCs from this host only
 */
public record GrpcSecurity(Optional<SslContext> ssl, ExportAccess access, Set<String> admins) {

    /** Plaintext, everything open, admin from this host only. */
    public static final GrpcSecurity NONE = new GrpcSecurity(Optional.empty(), ExportAccess.OPEN, Set.of());

    public GrpcSecurity {
        Objects.requireNonNull(ssl, "ssl");
        Objects.requireNonNull(access, "access");
        admins = Set.copyOf(admins);
    }

    /** The same with {@code access} as the allow lists. */
    public GrpcSecurity withAccess(ExportAccess access) {
        return new GrpcSecurity(ssl, access, admins);
    }

    /**
     * Whether {@code caller} may run an admin RPC. With {@code --admin}, only a caller whose
     * proven identity it names, from anywhere. Without, only a caller on this host: whoever can
     * reach the port from another host is not trusted to delete volumes by default, with or
     * without TLS (a server certificate proves the server to the client, not the reverse).
     */
    boolean mayAdminister(Caller caller) {
        if (admins.isEmpty()) {
            return caller.local();
        }
        return caller.identity().names().stream().anyMatch(admins::contains);
    }

    /** Whether {@code caller} may see and open volume {@code id}. */
    boolean mayOpen(Caller caller, String id) {
        return access.mayOpen(caller.identity(), id);
    }
}
