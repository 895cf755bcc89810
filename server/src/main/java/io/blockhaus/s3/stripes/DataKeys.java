package io.blockhaus.s3.stripes;

import java.util.HexFormat;

/**
 * Names of a volume's data objects: {@code root + "data/"} and the object's index in 16
 * lower-case hex digits (docs/s3.md), so that the store lists them in index order.
 */
record DataKeys(String prefix) {
    static DataKeys under(String root) {
        return new DataKeys(root + "data/");
    }

    String key(long index) {
        return prefix + HexFormat.of().toHexDigits(index);
    }

    /** The index named by {@code key}, or -1 for a key that is not a data object of ours. */
    long index(String key) {
        if (!key.startsWith(prefix) || key.length() != prefix.length() + 16) {
            return -1;
        }
        String hex = key.substring(prefix.length());
        for (int i = 0; i < hex.length(); i++) {
            char c = hex.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
                return -1;
            }
        }
        long index = HexFormat.fromHexDigitsToLong(hex);
        return index < 0 ? -1 : index;
    }
}
