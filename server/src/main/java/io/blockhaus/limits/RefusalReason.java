package io.blockhaus.limits;

/**
 * Why a front end refused a client: the {@code reason} tag of {@code blockhaus.frontend.refused}
 * (docs/metrics.md). A closed set, so the meter's series stay bounded whatever clients do.
 */
public enum RefusalReason {
    /** A connection past the server-wide connection cap, closed at accept. */
    CONNECTIONS("connections"),
    /** A connection past the cap for its source address, closed at accept. */
    CONNECTIONS_PER_SOURCE("connections-per-source"),
    /** A connection that had not finished its handshake by the deadline, closed. */
    HANDSHAKE_TIMEOUT("handshake-timeout"),
    /** A connection with no request and nothing in flight for the idle timeout, closed. */
    IDLE_TIMEOUT("idle-timeout"),
    /** A request or message larger than the advertised maximum, answered with an error. */
    REQUEST_TOO_LARGE("request-too-large"),
    /** A gRPC call refused because the worker pool's queue was full (RESOURCE_EXHAUSTED). */
    QUEUE_FULL("queue-full"),
    /** A gRPC Open past the handle bounds (server-wide or per client). */
    HANDLES("handles"),
    /** A gRPC Map past a handle's mapping bound. */
    MAPPINGS("mappings"),
    /** A volume or export name from the network outside the allowed characters or length. */
    INVALID_NAME("invalid-name"),
    /** An export or volume the client's identity may not open (its {@code allow=} list): hidden and refused. */
    ACCESS("access"),
    /** An admin RPC from an identity {@code --admin} does not name. */
    ADMIN("admin"),
    /** An NBD option other than STARTTLS or ABORT in the clear under {@code --tls require}. */
    TLS_REQUIRED("tls-required"),
    /** A TLS handshake that failed (a certificate from another CA, none under --tls-verify-peer, a wrong PSK). */
    TLS_HANDSHAKE("tls-handshake");

    private final String label;

    RefusalReason(String label) {
        this.label = label;
    }

    /** The tag value. */
    public String label() {
        return label;
    }
}
