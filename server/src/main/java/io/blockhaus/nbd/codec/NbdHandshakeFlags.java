package io.blockhaus.nbd.codec;

/** The 16 handshake flag bits the server sends in its greeting. */
public record NbdHandshakeFlags(int value) {
    public static final int FIXED_NEWSTYLE = 1;
    public static final int NO_ZEROES = 1 << 1;

    public NbdHandshakeFlags {
        NbdNames.checkUnsigned16(value);
    }

    public boolean has(int flag) {
        return (value & flag) == flag;
    }

    @Override
    public String toString() {
        return NbdNames.flags(value, "FIXED_NEWSTYLE", "NO_ZEROES");
    }
}
