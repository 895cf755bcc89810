package io.blockhaus.nbd.codec;

/** The payload of one NBD_REP_INFO reply, by information type. */
public sealed interface NbdInfo {
    NbdInfoType type();

    /** Size and transmission flags; the spec requires it before a successful INFO/GO ACK. */
    record Export(long size, NbdTransmissionFlags flags) implements NbdInfo {
        @Override
        public NbdInfoType type() {
            return NbdInfoType.EXPORT;
        }
    }

    /** The canonical export name. */
    record Name(String name) implements NbdInfo {
        @Override
        public NbdInfoType type() {
            return NbdInfoType.NAME;
        }
    }

    /** Human-readable description. */
    record Description(String description) implements NbdInfo {
        @Override
        public NbdInfoType type() {
            return NbdInfoType.DESCRIPTION;
        }
    }

    /** Block size constraints; all three are unsigned 32-bit on the wire. */
    record BlockSize(int minimum, int preferred, int maximumPayload) implements NbdInfo {
        @Override
        public NbdInfoType type() {
            return NbdInfoType.BLOCK_SIZE;
        }
    }
}
