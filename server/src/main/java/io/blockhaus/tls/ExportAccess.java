package io.blockhaus.tls;

/**
 * Which exports a peer may open, asked by both front ends with the same answer: NBD hides a
 * refused export from LIST and answers INFO/GO with NBD_REP_ERR_UNKNOWN, gRPC answers NOT_FOUND,
 * so a client cannot tell a refused export from a missing one.
 *
 * <p>Implementations look the export up when asked (volumes come and go over gRPC) and must be
 * cheap and non-blocking: NBD asks on its event loop.
 */
@FunctionalInterface
public interface ExportAccess {

    /** Everyone may open everything (no export has an {@code allow=} list). */
    ExportAccess OPEN = (peer, exportName) -> true;

    /**
     * Whether {@code peer} may list, describe and open the export {@code exportName}. A name
     * with no export gives true: whether it exists is the caller's question, not this one.
     */
    boolean mayOpen(PeerIdentity peer, String exportName);
}
