package io.blockhaus.server;

import java.util.Locale;

/**
 * Parses and formats byte sizes such as {@code 1024}, {@code 4K}, {@code 256M}, {@code 1G}, {@code 2T}.
 *
 * <p>Units are binary (K = 1024) and case-insensitive: K, M, G, T, P, E. A trailing {@code B} or
 * {@code iB} is accepted ({@code 4KB}, {@code 4KiB}, {@code 512B}). Only whole, non-negative numbers are
 * accepted; fractions, signs, spaces inside the value and values above {@link Long#MAX_VALUE} are errors.
 */
public final class SizeParser {

    private static final String UNITS = "KMGTPE";

    private SizeParser() {
    }

    /**
     * Parses {@code text} into a number of bytes.
     *
     * @throws IllegalArgumentException with a message that quotes the input and says what is accepted
     */
    public static long parse(String text) {
        if (text == null || text.isBlank()) {
            throw bad(text, "it is empty");
        }
        String s = text.strip();
        int digitsEnd = 0;
        while (digitsEnd < s.length() && s.charAt(digitsEnd) >= '0' && s.charAt(digitsEnd) <= '9') {
            digitsEnd++;
        }
        if (digitsEnd == 0) {
            if (s.charAt(0) == '-') {
                throw bad(text, "sizes cannot be negative");
            }
            throw bad(text, "it does not start with a number");
        }
        String suffix = s.substring(digitsEnd).toUpperCase(Locale.ROOT);
        int shift;
        if (suffix.isEmpty() || suffix.equals("B")) {
            shift = 0;
        } else {
            int unit = UNITS.indexOf(suffix.charAt(0));
            String rest = suffix.substring(1);
            if (unit < 0 || !(rest.isEmpty() || rest.equals("B") || rest.equals("IB"))) {
                throw bad(text, "unknown unit '" + s.substring(digitsEnd) + "'");
            }
            shift = 10 * (unit + 1);
        }
        long number;
        try {
            number = Long.parseLong(s.substring(0, digitsEnd));
        } catch (NumberFormatException e) {
            throw bad(text, "it is too large");
        }
        if (shift > 0 && number > (Long.MAX_VALUE >> shift)) {
            throw bad(text, "it is too large");
        }
        return number << shift;
    }

    /** Formats {@code bytes} in the largest unit that divides it exactly: 1G, 1536M, 4K, 1000. */
    public static String format(long bytes) {
        if (bytes <= 0) {
            return Long.toString(bytes);
        }
        int unit = -1;
        long n = bytes;
        while (unit + 1 < UNITS.length() && (n & 1023) == 0) {
            n >>= 10;
            unit++;
        }
        return unit < 0 ? Long.toString(n) : n + String.valueOf(UNITS.charAt(unit));
    }

    private static IllegalArgumentException bad(String text, String why) {
        return new IllegalArgumentException("invalid size '" + text + "': " + why
                + " (expected a whole number of bytes, optionally with a binary unit K, M, G, T, P or E, e.g. 4096, 4K, 256M, 1G)");
    }
}
