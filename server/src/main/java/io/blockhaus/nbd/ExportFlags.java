package io.blockhaus.nbd;

import io.blockhaus.engine.Volume;
import io.blockhaus.nbd.codec.NbdTransmissionFlags;

/**
 * The transmission flags an export advertises. Every command the engine implements is offered;
 * CAN_MULTI_CONN is sound because all connections to a volume share its one page cache: a write
 * completed on any connection is visible to reads on every other at once, and a flush on any
 * connection writes back every connection's dirty pages.
 */
final class ExportFlags {
    private ExportFlags() {
    }

    static NbdTransmissionFlags of(Volume v, boolean structuredReplies) {
        int f = NbdTransmissionFlags.HAS_FLAGS
                | NbdTransmissionFlags.SEND_FLUSH
                | NbdTransmissionFlags.SEND_FUA
                | NbdTransmissionFlags.SEND_TRIM
                | NbdTransmissionFlags.SEND_WRITE_ZEROES
                | NbdTransmissionFlags.SEND_FAST_ZERO
                | NbdTransmissionFlags.SEND_CACHE
                | NbdTransmissionFlags.CAN_MULTI_CONN;
        if (structuredReplies) {
            f |= NbdTransmissionFlags.SEND_DF; // the spec forbids DF without structured replies
        }
        if (v.readOnly()) {
            f |= NbdTransmissionFlags.READ_ONLY;
        }
        return new NbdTransmissionFlags(f);
    }
}
