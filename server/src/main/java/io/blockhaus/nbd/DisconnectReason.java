package io.blockhaus.nbd;

/**
 * Why an NBD connection ended: a closed set, so counting stays bounded whatever clients do. Every
 * connection admitted ends with exactly one, chosen by whoever ended it first ({@link Disconnects}),
 * except the handshake's refusals, counted as such instead ({@link io.blockhaus.limits.Refusals}:
 * its deadline, a failed TLS handshake; the connection caps act before the handshake starts).
 * A client that leaves during the handshake has a reason of its own, {@link #CLIENT_LEFT_HANDSHAKE},
 * so that probes and {@code nbdinfo --list} do not swell {@link #CLIENT_CLOSED}, which is about
 * connections that were serving. The ones the server chose because something went wrong are
 * logged; a client's own goodbye is only counted.
 */
public enum DisconnectReason {
    /** The client sent NBD_CMD_DISC; the server answered what was in flight and closed. */
    CLIENT_DISC("client-disc", false),
    /**
     * The client closed or reset its end (end of input, ECONNRESET, EPIPE), or it or its network
     * went away and TCP gave up on it (ETIMEDOUT, EHOSTUNREACH, ENETUNREACH): not a fault of the
     * server's. Logged only with requests in flight (the line names the errno).
     */
    CLIENT_CLOSED("client-closed", false),
    /**
     * Before transmission, the client ended the handshake: NBD_OPT_ABORT, or it closed or reset
     * its end (a port probe, a client that only listed exports or gave up).
     */
    CLIENT_LEFT_HANDSHAKE("client-left-handshake", false),
    /** A request the stream cannot survive (wrong magic, an absurd length): nothing after it can be trusted. */
    MALFORMED_REQUEST("malformed-request", true),
    /** A WRITE's payload that got no byte for the payload stall timeout. */
    PAYLOAD_STALL("payload-stall", true),
    /** A READ reply sent from the volume's file that the kernel could not send (its header was out already). */
    SEND_FROM_FILE_FAILED("send-from-file-failed", true),
    /** An exception reached the connection's handler (transmission or handshake): a bug, or an error with no reply to carry it. */
    INTERNAL_ERROR("internal-error", true),
    /** No request and nothing in flight for the idle timeout (also a refusal, logged there). */
    IDLE_TIMEOUT("idle-timeout", false),
    /** A handshake the protocol leaves no answer to but a close (bad client flags, EXPORT_NAME of no export, a lost stream). */
    HANDSHAKE_REFUSED("handshake-refused", true),
    /** The server is stopping. */
    SERVER_STOPPING("server-stopping", false);

    private final String label;
    private final boolean serverFault;

    DisconnectReason(String label, boolean serverFault) {
        this.label = label;
        this.serverFault = serverFault;
    }

    /** The name in logs (and a metric's tag, should one be bound). */
    public String label() {
        return label;
    }

    /** Whether the server ended the connection because something went wrong: always logged. */
    boolean serverFault() {
        return serverFault;
    }
}
