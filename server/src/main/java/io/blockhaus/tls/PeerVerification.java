package io.blockhaus.tls;

/** Whether and how client certificates are asked for (X.509 only). */
public enum PeerVerification {
    /** No client certificate is asked for: every TLS client is anonymous (no {@code --tls-ca}). */
    NONE,
    /**
     * A client certificate is asked for and, when sent, must chain to {@code --tls-ca} or the
     * handshake fails; a client without one is let in as anonymous ({@code --tls-ca} alone).
     */
    OPTIONAL,
    /** Every client must present a certificate chaining to {@code --tls-ca} ({@code --tls-verify-peer}). */
    REQUIRED
}
