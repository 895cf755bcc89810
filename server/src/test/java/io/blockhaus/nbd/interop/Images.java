package io.blockhaus.nbd.interop;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/** Seeded test images: random data with all-zero stretches, so sparse paths are exercised too. */
final class Images {
    private Images() {
    }

    /** The seed for this run: {@code -Dinterop.seed=N} to repeat one, else a fresh one. */
    static long seed() {
        String s = System.getProperty("interop.seed");
        long seed = s != null ? Long.parseLong(s) : new SplittableRandom().nextLong();
        System.out.println("interop image seed: " + seed + " (repeat with -Dinterop.seed=" + seed + ")");
        return seed;
    }

    /**
     * Writes {@code size} bytes (a multiple of 1 MiB): every 1 MiB block is random, except that
     * every fifth block is all zeroes and every seventh is zeroes but for its last 512 bytes.
     */
    static Path random(Path file, long size, long seed) throws IOException {
        SplittableRandom rnd = new SplittableRandom(seed);
        byte[] block = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long b = 0; b < size >> 20; b++) {
                if (b % 5 == 4) {
                    java.util.Arrays.fill(block, (byte) 0);
                } else {
                    rnd.nextBytes(block);
                    if (b % 7 == 6) {
                        java.util.Arrays.fill(block, 0, block.length - 512, (byte) 0);
                    }
                }
                out.write(block);
            }
        }
        return file;
    }
}
