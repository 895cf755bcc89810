package io.blockhaus.nbd.codec;

/**
 * The 32-bit client flags, the first thing a client sends; also the message the handshake decoder
 * emits for it. The spec requires the server to drop the connection on bits it did not offer, so
 * {@link #unknownBits()} is kept rather than masked away.
 */
public record NbdClientFlags(int value) {
    public static final int FIXED_NEWSTYLE = 1;
    public static final int NO_ZEROES = 1 << 1;
    private static final int KNOWN = FIXED_NEWSTYLE | NO_ZEROES;

    public boolean has(int flag) {
        return (value & flag) == flag;
    }

    public int unknownBits() {
        return value & ~KNOWN;
    }

    @Override
    public String toString() {
        return NbdNames.flags(value, "FIXED_NEWSTYLE", "NO_ZEROES");
    }
}
