package io.blockhaus.nbd;

import io.blockhaus.engine.Volume;
import io.blockhaus.tls.PeerIdentity;

/**
 * What a handshake settled: the export, and which protocol extensions the transmission phase
 * uses.
 *
 * @param volume            the export
 * @param structuredReplies NBD_OPT_STRUCTURED_REPLY (or EXTENDED_HEADERS) was acknowledged
 * @param extendedHeaders   NBD_OPT_EXTENDED_HEADERS was acknowledged
 * @param allocationContext base:allocation was selected by SET_META_CONTEXT (block status allowed)
 * @param tls               the connection runs over TLS: payloads must pass the TLS handler as
 *                          buffers, so no sendfile for READs and no splice for WRITEs
 * @param peer              who the client proved to be (anonymous without TLS)
 */
record NbdSession(Volume volume, boolean structuredReplies, boolean extendedHeaders, boolean allocationContext,
        boolean tls, PeerIdentity peer) {
    /** The context id we hand out for base:allocation (any non-zero id the server picks). */
    static final int ALLOCATION_CONTEXT_ID = 1;
    static final String ALLOCATION_CONTEXT = "base:allocation";
}
