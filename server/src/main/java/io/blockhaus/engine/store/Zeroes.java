package io.blockhaus.engine.store;

import java.nio.ByteBuffer;

/** Zero-filling of buffers, for reads of holes and of bytes past the end. */
final class Zeroes {
    private static final byte[] ZEROES = new byte[64 * 1024];

    private Zeroes() {
    }

    /** Fills {@code dst} from position to limit with zeroes and advances it to the limit. */
    static void fill(ByteBuffer dst) {
        while (dst.hasRemaining()) {
            dst.put(ZEROES, 0, Math.min(dst.remaining(), ZEROES.length));
        }
    }
}
