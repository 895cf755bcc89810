package io.blockhaus.nbd;

import java.util.concurrent.atomic.LongAdder;

/**
 * Clients turned away by security, over all connections, by reason (the {@code reason} tag of
 * {@code blockhaus.frontend.refused{frontend=nbd}} in docs/metrics.md): {@code access} (an export
 * its allow list does not admit this peer to: hidden from LIST, unknown to INFO/GO, closed on
 * EXPORT_NAME), {@code tls-required} (an option other than STARTTLS and ABORT in the clear under
 * {@code --tls require}), {@code tls-handshake} (a TLS handshake that failed: a client
 * certificate from another CA, no certificate under {@code --tls-verify-peer}, an old protocol).
 * Written on event loops, read by tests and the metrics binding.
 */
final class SecurityRefusals {
    private final LongAdder access = new LongAdder();
    private final LongAdder tlsRequired = new LongAdder();
    private final LongAdder tlsHandshake = new LongAdder();

    void access() {
        access.increment();
    }

    void tlsRequired() {
        tlsRequired.increment();
    }

    void tlsHandshake() {
        tlsHandshake.increment();
    }

    long accessRefusals() {
        return access.sum();
    }

    long tlsRequiredRefusals() {
        return tlsRequired.sum();
    }

    long tlsHandshakeFailures() {
        return tlsHandshake.sum();
    }
}
