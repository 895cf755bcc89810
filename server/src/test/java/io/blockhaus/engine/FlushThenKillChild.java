package io.blockhaus.engine;

import io.blockhaus.engine.store.BackingStore;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Child JVM for {@code SeedScenariosTest.flushThenSigkillLosesNoFlushedByte}: opens a volume over a
 * file store, writes a seed-derived image into the first half with buffered writes, flushes,
 * prints {@code FLUSHED <seed>}, then keeps writing unflushed data into the second half until it is
 * killed (or gives up after two minutes, so that an orphan never lingers).
 *
 * <p>Arguments: path, size, seed.
 */
public final class FlushThenKillChild {
    private FlushThenKillChild() {
    }

    /** The flushed half's writes, in order; the parent replays them to know the expected bytes. */
    static void plan(long seed, long size, WriteSink sink) {
        SplittableRandom rnd = new SplittableRandom(seed);
        long half = size / 2;
        for (int i = 0; i < 300; i++) {
            int len = 1 + rnd.nextInt(20_000);
            long off = rnd.nextLong(half - len);
            byte[] d = new byte[len];
            rnd.nextBytes(d);
            sink.write(off, d);
        }
    }

    interface WriteSink {
        void write(long offset, byte[] data);
    }

    static byte[] expectedFirstHalf(long seed, long size) {
        byte[] img = new byte[(int) (size / 2)];
        plan(seed, size, (off, d) -> System.arraycopy(d, 0, img, (int) off, d.length));
        return img;
    }

    public static void main(String[] args) {
        Path path = Path.of(args[0]);
        long size = Long.parseLong(args[1]);
        long seed = Long.parseLong(args[2]);
        BackingStore store = TestStores.file(path, size);
        Engine engine = new Engine(EngineConfig.withCache(1 << 20));
        Volume vol = engine.open(VolumeConfig.of("sigkill"), store);
        Handle h = vol.open();
        plan(seed, size, (off, d) -> h.write(off, ByteBuffer.wrap(d), false));
        h.flush();
        System.out.println("FLUSHED " + seed);
        System.out.flush();
        SplittableRandom rnd = new SplittableRandom(seed ^ 0x5eed);
        long half = size / 2;
        long giveUp = System.nanoTime() + 120_000_000_000L;
        while (System.nanoTime() - giveUp < 0) {
            int len = 1 + rnd.nextInt(20_000);
            long off = half + rnd.nextLong(size - half - len);
            byte[] d = new byte[len];
            rnd.nextBytes(d);
            h.write(off, ByteBuffer.wrap(d), false);
        }
        System.exit(3);
    }
}
