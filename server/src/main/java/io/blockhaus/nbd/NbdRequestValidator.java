package io.blockhaus.nbd;

import io.blockhaus.nbd.codec.NbdCommand;
import io.blockhaus.nbd.codec.NbdCommandFlags;
import io.blockhaus.nbd.codec.NbdError;
import io.blockhaus.nbd.codec.NbdRequest;

/**
 * Checks a request once, at the edge, before it reaches the engine (after nbdkit's
 * validate_request): command known, flags allowed for that command and negotiated, range inside
 * the export, length within what was advertised, nothing written to a read-only export. The
 * engine still checks its own preconditions; this only picks the error NBD clients expect.
 */
final class NbdRequestValidator {
    private static final int FLAGS_FOR_WRITES = NbdCommandFlags.FUA;

    private NbdRequestValidator() {
    }

    /** Null when the request may run; otherwise the error to answer with. */
    static NbdError check(NbdRequest r, NbdSession s, int maxPayload, long size) {
        NbdCommand c = r.command();
        NbdCommandFlags f = r.flags();
        if (!c.isKnown() || c.equals(NbdCommand.RESIZE) || f.unknownBits() != 0) {
            return NbdError.EINVAL;
        }
        if (!flagsAllowed(c, f, s)) {
            return NbdError.EINVAL;
        }
        if (c.equals(NbdCommand.DISC) || c.equals(NbdCommand.FLUSH)) {
            return null; // offset and length are ignored, as the spec allows
        }
        boolean writes = c.equals(NbdCommand.WRITE) || c.equals(NbdCommand.TRIM) || c.equals(NbdCommand.WRITE_ZEROES);
        if (writes && s.volume().readOnly()) {
            return NbdError.EPERM;
        }
        if (c.equals(NbdCommand.BLOCK_STATUS) && !s.allocationContext()) {
            return NbdError.EINVAL; // no meta context was negotiated
        }
        if (s.extendedHeaders() && c.equals(NbdCommand.WRITE) && !f.has(NbdCommandFlags.PAYLOAD_LEN)) {
            return NbdError.EINVAL; // extended WRITE must announce its payload
        }
        long off = r.offset();
        long len = r.length();
        if (off < 0 || len < 0) {
            return NbdError.EINVAL; // beyond 2^63: certainly past the end
        }
        if (c.equals(NbdCommand.READ) && len > maxPayload) {
            return s.structuredReplies() ? NbdError.EOVERFLOW : NbdError.EINVAL;
        }
        if (c.equals(NbdCommand.BLOCK_STATUS)) {
            return off >= size && !(off == 0 && size == 0) ? NbdError.EINVAL : null; // the reply may cover less
        }
        if (off > size || len > size - off) {
            return c.equals(NbdCommand.WRITE) || c.equals(NbdCommand.WRITE_ZEROES) ? NbdError.ENOSPC : NbdError.EINVAL;
        }
        return null;
    }

    private static boolean flagsAllowed(NbdCommand c, NbdCommandFlags f, NbdSession s) {
        int v = f.value();
        if ((v & NbdCommandFlags.PAYLOAD_LEN) != 0 && !s.extendedHeaders()) {
            return false;
        }
        // FUA "is valid for all commands, provided NBD_FLAG_SEND_FUA has been negotiated, in which
        // case the server MUST accept all commands with this bit set" (spec); every export
        // advertises SEND_FUA. It only means something for commands that write.
        int allowed = NbdCommandFlags.PAYLOAD_LEN | NbdCommandFlags.FUA;
        if (c.equals(NbdCommand.READ)) {
            allowed |= s.structuredReplies() ? NbdCommandFlags.DF : 0;
        } else if (c.equals(NbdCommand.WRITE) || c.equals(NbdCommand.TRIM)) {
            allowed |= FLAGS_FOR_WRITES;
        } else if (c.equals(NbdCommand.WRITE_ZEROES)) {
            allowed |= FLAGS_FOR_WRITES | NbdCommandFlags.NO_HOLE | NbdCommandFlags.FAST_ZERO;
        } else if (c.equals(NbdCommand.BLOCK_STATUS)) {
            allowed |= NbdCommandFlags.REQ_ONE;
        }
        return (v & ~allowed) == 0;
    }
}
