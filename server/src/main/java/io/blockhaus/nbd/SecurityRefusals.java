package io.blockhaus.nbd;

import io.blockhaus.limits.RefusalReason;
import io.blockhaus.limits.Refusals;

/**
 * Clients turned away by security, over all connections, by reason (the {@code reason} tag of
 * {@code blockhaus.frontend.refused{frontend=nbd}} in docs/metrics.md): {@code access} (an export
 * its allow list does not admit this peer to: hidden from LIST, unknown to INFO/GO, closed on
 * EXPORT_NAME), {@code tls-required} (an option other than STARTTLS and ABORT in the clear under
 * {@code --tls require}), {@code tls-handshake} (a TLS handshake that failed: a client
 * certificate from another CA, no certificate under {@code --tls-verify-peer}, an old protocol).
 * Written on event loops, read by tests and the metrics binding. Kept in the front end's
 * {@link Refusals} (counted only: the handshake logs these itself, once per connection), so one
 * meter shows every refusal of the NBD server.
 */
final class SecurityRefusals {
    private final Refusals refusals;

    SecurityRefusals(Refusals refusals) {
        this.refusals = refusals;
    }

    void access() {
        refusals.tally(RefusalReason.ACCESS);
    }

    void tlsRequired() {
        refusals.tally(RefusalReason.TLS_REQUIRED);
    }

    void tlsHandshake() {
        refusals.tally(RefusalReason.TLS_HANDSHAKE);
    }

    long accessRefusals() {
        return refusals.count(RefusalReason.ACCESS);
    }

    long tlsRequiredRefusals() {
        return refusals.count(RefusalReason.TLS_REQUIRED);
    }

    long tlsHandshakeFailures() {
        return refusals.count(RefusalReason.TLS_HANDSHAKE);
    }
}
