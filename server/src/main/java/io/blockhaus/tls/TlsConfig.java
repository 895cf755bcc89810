package io.blockhaus.tls;

import io.blockhaus.tls.psk.PskHandlerFactory;
import java.util.Objects;
import java.util.Optional;

/**
 * The TLS options, checked and their files loaded: what the front ends are built from. Either a
 * certificate or a PSK file when the mode is not {@link TlsMode#OFF}, never both (a client
 * cannot be told which to use, and the handshake code differs); neither when it is.
 *
 * @param mode         off, on (offered) or require
 * @param certificate  the server's certificate, key and CA, for X.509
 * @param psk          the pre-shared keys, for TLS-PSK
 * @param verification how client certificates are asked for (X.509 only)
 */
public record TlsConfig(TlsMode mode, Optional<TlsMaterial> certificate, Optional<PskFile> psk,
        PeerVerification verification) {

    /** No TLS. */
    public static final TlsConfig OFF = new TlsConfig(TlsMode.OFF, Optional.empty(), Optional.empty(),
            PeerVerification.NONE);

    public TlsConfig {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(certificate, "certificate");
        Objects.requireNonNull(psk, "psk");
        Objects.requireNonNull(verification, "verification");
        if ((mode == TlsMode.OFF) != (certificate.isEmpty() && psk.isEmpty())) {
            throw new IllegalArgumentException("TLS " + mode.label() + " needs key material exactly when not off");
        }
        if (certificate.isPresent() && psk.isPresent()) {
            throw new IllegalArgumentException("a certificate or a PSK file, not both");
        }
        if (verification != PeerVerification.NONE
                && certificate.map(c -> c.trusted().isEmpty()).orElse(true)) {
            throw new IllegalArgumentException("verifying client certificates needs a certificate and a CA");
        }
    }

    /** X.509 with {@code material}. */
    public static TlsConfig x509(TlsMode mode, TlsMaterial material, PeerVerification verification) {
        return new TlsConfig(mode, Optional.of(material), Optional.empty(), verification);
    }

    /** TLS-PSK with {@code keys}. */
    public static TlsConfig psk(TlsMode mode, PskFile keys) {
        return new TlsConfig(mode, Optional.empty(), Optional.of(keys), PeerVerification.NONE);
    }

    public boolean enabled() {
        return mode != TlsMode.OFF;
    }

    /** The handler factory for connections that start TLS; empty when off. */
    public Optional<TlsHandlerFactory> handlers() {
        if (!enabled()) {
            return Optional.empty();
        }
        if (psk.isPresent()) {
            return Optional.of(new PskHandlerFactory(psk.get()));
        }
        return Optional.of(new X509HandlerFactory(certificate.orElseThrow(), verification));
    }
}
