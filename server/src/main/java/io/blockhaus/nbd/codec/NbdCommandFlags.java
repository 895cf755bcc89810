package io.blockhaus.nbd.codec;

/**
 * The 16 command flag bits of a request, kept whole (including bits we do not know) because the
 * spec wants EINVAL for undocumented flags, which only the handler can decide per command.
 */
public record NbdCommandFlags(int value) {
    public static final int FUA = 1;
    public static final int NO_HOLE = 1 << 1;
    public static final int DF = 1 << 2;
    public static final int REQ_ONE = 1 << 3;
    public static final int FAST_ZERO = 1 << 4;
    public static final int PAYLOAD_LEN = 1 << 5;
    private static final int KNOWN = FUA | NO_HOLE | DF | REQ_ONE | FAST_ZERO | PAYLOAD_LEN;

    public static final NbdCommandFlags NONE = new NbdCommandFlags(0);

    public NbdCommandFlags {
        NbdNames.checkUnsigned16(value);
    }

    public boolean has(int flag) {
        return (value & flag) == flag;
    }

    public int unknownBits() {
        return value & ~KNOWN;
    }

    @Override
    public String toString() {
        return NbdNames.flags(value, "FUA", "NO_HOLE", "DF", "REQ_ONE", "FAST_ZERO", "PAYLOAD_LEN");
    }
}
