package io.blockhaus.s3.stripes;

import java.nio.ByteBuffer;
import java.util.Arrays;

/** Fills buffers with zeroes and tells zero arrays apart, through one small array of zeroes (not one per object size). */
final class ZeroRuns {
    private final byte[] zeroes = new byte[64 << 10];

    /** Fills {@code dst} from its position to its limit with zeroes. */
    void fill(ByteBuffer dst) {
        while (dst.hasRemaining()) {
            dst.put(zeroes, 0, Math.min(zeroes.length, dst.remaining()));
        }
    }

    /** Whether {@code b[0, length)} is all zeroes. */
    boolean isZero(byte[] b, int length) {
        for (int from = 0; from < length; from += zeroes.length) {
            int n = Math.min(zeroes.length, length - from);
            if (Arrays.mismatch(b, from, from + n, zeroes, 0, n) >= 0) {
                return false;
            }
        }
        return true;
    }
}
