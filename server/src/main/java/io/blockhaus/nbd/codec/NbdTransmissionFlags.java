package io.blockhaus.nbd.codec;

/** The 16 transmission flag bits describing an export (sent with its size). */
public record NbdTransmissionFlags(int value) {
    public static final int HAS_FLAGS = 1;
    public static final int READ_ONLY = 1 << 1;
    public static final int SEND_FLUSH = 1 << 2;
    public static final int SEND_FUA = 1 << 3;
    public static final int ROTATIONAL = 1 << 4;
    public static final int SEND_TRIM = 1 << 5;
    public static final int SEND_WRITE_ZEROES = 1 << 6;
    public static final int SEND_DF = 1 << 7;
    public static final int CAN_MULTI_CONN = 1 << 8;
    public static final int SEND_RESIZE = 1 << 9;
    public static final int SEND_CACHE = 1 << 10;
    public static final int SEND_FAST_ZERO = 1 << 11;
    public static final int BLOCK_STAT_PAYLOAD = 1 << 12;

    public NbdTransmissionFlags {
        NbdNames.checkUnsigned16(value);
    }

    /** Flags with HAS_FLAGS set, which the spec says MUST always be 1. */
    public static NbdTransmissionFlags of(int... flags) {
        int v = HAS_FLAGS;
        for (int f : flags) {
            v |= f;
        }
        return new NbdTransmissionFlags(v);
    }

    public boolean has(int flag) {
        return (value & flag) == flag;
    }

    @Override
    public String toString() {
        return NbdNames.flags(value, "HAS_FLAGS", "READ_ONLY", "SEND_FLUSH", "SEND_FUA", "ROTATIONAL",
                "SEND_TRIM", "SEND_WRITE_ZEROES", "SEND_DF", "CAN_MULTI_CONN", "SEND_RESIZE", "SEND_CACHE",
                "SEND_FAST_ZERO", "BLOCK_STAT_PAYLOAD");
    }
}
