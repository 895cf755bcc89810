package io.blockhaus.grpc;

import java.nio.ByteBuffer;
import java.util.Random;

/** Test data for the gRPC tests: seeded random bytes, and a buffer's remaining bytes as an array. */
public final class TestBytes {
    private TestBytes() {
    }

    public static byte[] random(long seed, int n) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    public static byte[] of(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }
}
