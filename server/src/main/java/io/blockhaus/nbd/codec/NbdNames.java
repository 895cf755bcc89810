package io.blockhaus.nbd.codec;

import java.util.StringJoiner;

/** Shared naming helpers so every code and flag type prints the same way in logs. */
final class NbdNames {
    private static final String UNKNOWN = "UNKNOWN(";

    private NbdNames() {
    }

    static String unknown(int code) {
        return UNKNOWN + "0x" + Integer.toHexString(code) + ")";
    }

    static boolean isUnknown(String name) {
        return name.startsWith(UNKNOWN);
    }

    static void checkUnsigned16(int value) {
        if ((value & ~0xffff) != 0) {
            throw new IllegalArgumentException("not a 16-bit value: " + value);
        }
    }

    /** Renders set bits by name (index = bit number); bits without a name print as hex. */
    static String flags(int bits, String... names) {
        StringJoiner out = new StringJoiner("|", "[", "]");
        int rest = bits;
        for (int bit = 0; bit < names.length; bit++) {
            if ((bits & (1 << bit)) != 0 && names[bit] != null) {
                out.add(names[bit]);
                rest &= ~(1 << bit);
            }
        }
        if (rest != 0) {
            out.add("0x" + Integer.toHexString(rest));
        }
        return out.toString();
    }
}
