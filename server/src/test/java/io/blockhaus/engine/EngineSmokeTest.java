package io.blockhaus.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.engine.lock.LockPolicy;
import io.blockhaus.engine.store.MemoryStore;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** A quick single-threaded model check of the main paths; FsxModelTest is the thorough one. */
class EngineSmokeTest {

    @ParameterizedTest
    @EnumSource(LockPolicy.class)
    void mixedOperationsMatchAByteArray(LockPolicy policy) {
        long seed = Long.getLong("smoke.seed", System.nanoTime());
        System.out.println("EngineSmokeTest seed=" + seed);
        Random r = new Random(seed);
        int size = 1 << 20;
        byte[] model = new byte[size];
        try (Engine e = new Engine(EngineConfig.withCache(128 * 1024).withBackgroundThreads(false))) {
            Volume v = e.open(VolumeConfig.of("smoke").withLockPolicy(policy), new MemoryStore(size));
            Handle h = v.open();
            for (int i = 0; i < 20_000; i++) {
                int off = r.nextInt(size);
                int len = 1 + r.nextInt(Math.min(size - off, 20_000));
                int op = r.nextInt(6);
                String what = "op " + i + " kind " + op + " at " + off + "+" + len + " seed " + seed;
                switch (op) {
                    case 0, 1 -> {
                        ByteBuffer b = ByteBuffer.allocate(len);
                        if (op == 0) {
                            h.read(off, b);
                        } else {
                            h.readDirect(off, b);
                        }
                        assertThat(b.array()).as(what).isEqualTo(Arrays.copyOfRange(model, off, off + len));
                    }
                    case 2, 3 -> {
                        byte[] data = new byte[len];
                        r.nextBytes(data);
                        if (op == 2) {
                            h.write(off, ByteBuffer.wrap(data), r.nextInt(10) == 0);
                        } else {
                            h.writeDirect(off, ByteBuffer.wrap(data), false);
                        }
                        System.arraycopy(data, 0, model, off, len);
                    }
                    case 4 -> {
                        h.fallocate(r.nextBoolean() ? FallocateMode.PUNCH_HOLE : FallocateMode.ZERO_RANGE, off, len);
                        Arrays.fill(model, off, off + len, (byte) 0);
                    }
                    default -> {
                        if (r.nextInt(4) == 0) {
                            e.writebackNow();
                        } else {
                            h.fadvise(Advice.DONTNEED, off, len);
                        }
                    }
                }
            }
            h.flush();
            assertThat(e.dirtyBytes()).isZero();
            ByteBuffer all = ByteBuffer.allocate(size);
            h.read(0, all);
            assertThat(all.array()).isEqualTo(model);
            v.close();
            assertThat(e.usedBytes()).isZero();
        }
    }
}
