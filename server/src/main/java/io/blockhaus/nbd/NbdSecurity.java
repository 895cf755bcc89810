package io.blockhaus.nbd;

import io.blockhaus.tls.ExportAccess;
import io.blockhaus.tls.TlsHandlerFactory;
import io.blockhaus.tls.TlsMode;
import java.util.Objects;
import java.util.Optional;

/**
 * Who may do what on the NBD port: the TLS mode of the NBD specification, the handlers that
 * STARTTLS puts on a connection, and which exports a peer may see and open.
 *
 * @param mode     off (STARTTLS refused), on (offered), require (nothing but STARTTLS and ABORT in the clear)
 * @param handlers what STARTTLS inserts; present exactly when {@code mode} is not off
 * @param access   asked for every export a client lists, describes or opens
 */
public record NbdSecurity(TlsMode mode, Optional<TlsHandlerFactory> handlers, ExportAccess access) {

    /** No TLS, every export open to everyone: the server as it was before access control. */
    public static final NbdSecurity NONE = new NbdSecurity(TlsMode.OFF, Optional.empty(), ExportAccess.OPEN);

    public NbdSecurity {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(handlers, "handlers");
        Objects.requireNonNull(access, "access");
        if ((mode == TlsMode.OFF) != handlers.isEmpty()) {
            throw new IllegalArgumentException("TLS handlers are needed exactly when TLS is " + mode.label() + "");
        }
    }

    /** The same with {@code access} deciding which exports a peer may open. */
    public NbdSecurity withAccess(ExportAccess access) {
        return new NbdSecurity(mode, handlers, access);
    }
}
