package io.blockhaus.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import io.blockhaus.engine.store.Extent;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Checks the test-only reference store against a flat byte array, so that the engine tests can
 * trust it as an oracle. (Runs today: it does not touch the engine.)
 */
class ArrayStoreTest {

    @Test
    void randomOperationsMatchAFlatArray() {
        long seed = Long.getLong("arraystore.seed", new SplittableRandom().nextLong());
        System.out.println("ArrayStoreTest seed=" + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        int max = 1 << 20;
        byte[] model = new byte[max];
        int size = 256 << 10;
        ArrayStore s = new ArrayStore(size);
        for (int i = 0; i < 20_000; i++) {
            int op = rnd.nextInt(9);
            int off = rnd.nextInt(size);
            int len = 1 + rnd.nextInt(Math.min(20_000, size - off));
            String what = "seed=" + seed + " op#" + i + " kind=" + op + " off=" + off + " len=" + len + " size=" + size;
            switch (op) {
                case 0, 1 -> {
                    byte[] d = new byte[len];
                    rnd.nextBytes(d);
                    s.write(off, ByteBuffer.wrap(d));
                    System.arraycopy(d, 0, model, off, len);
                }
                case 2 -> {
                    s.punchHole(off, len);
                    Arrays.fill(model, off, off + len, (byte) 0);
                }
                case 3 -> {
                    s.zeroRange(off, len);
                    Arrays.fill(model, off, off + len, (byte) 0);
                }
                case 4 -> s.allocate(off, len);
                case 5 -> {
                    int newSize = 4096 * (8 + rnd.nextInt(200)) + (rnd.nextBoolean() ? rnd.nextInt(4096) : 0);
                    s.truncate(newSize);
                    if (newSize < size) {
                        Arrays.fill(model, newSize, size, (byte) 0);
                    }
                    size = newSize;
                }
                case 6 -> {
                    long a = off / 4096 * 4096L;
                    long l = 4096L * (1 + rnd.nextInt(8));
                    if (a + l < size) {
                        s.collapseRange(a, l);
                        System.arraycopy(model, (int) (a + l), model, (int) a, (int) (size - a - l));
                        Arrays.fill(model, (int) (size - l), size, (byte) 0);
                        size -= (int) l;
                    } else {
                        long aa = a, ll = l;
                        assertThatThrownBy(() -> s.collapseRange(aa, ll)).isInstanceOf(ErrnoException.class);
                    }
                }
                case 7 -> {
                    long a = off / 4096 * 4096L;
                    int l = 4096 * (1 + rnd.nextInt(8));
                    if (size + l <= max) {
                        s.insertRange(a, l);
                        System.arraycopy(model, (int) a, model, (int) a + l, (int) (size - a));
                        Arrays.fill(model, (int) a, (int) a + l, (byte) 0);
                        size += l;
                    }
                }
                default -> {
                    List<Extent> ex = s.extents(off, len, 1 + rnd.nextInt(6));
                    long pos = off;
                    for (Extent e : ex) {
                        assertThat(e.offset()).as(what).isEqualTo(pos);
                        if (e.hole()) {
                            for (long b = e.offset(); b < e.end(); b++) {
                                assertThat(model[(int) b]).as(what).isZero();
                            }
                        }
                        pos = e.end();
                    }
                    assertThat(pos).as(what).isLessThanOrEqualTo(Math.min(off + len, size));
                    assertThat(ex).as(what).isNotEmpty();
                }
            }
            assertThat(s.size()).as(what).isEqualTo(size);
            if (i % 200 == 0 || op >= 5) {
                ByteBuffer all = ByteBuffer.allocate(size + 100);
                s.read(0, all);
                assertThat(Arrays.equals(all.array(), 0, size + 100, model, 0, size + 100)).as(what).isTrue();
            }
        }
    }

    @Test
    void contractErrors() {
        ArrayStore s = new ArrayStore(64 << 10);
        assertThatThrownBy(() -> s.write(64 << 10, ByteBuffer.allocate(1)))
                .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
        assertThatThrownBy(() -> s.read(-1, ByteBuffer.allocate(1)))
                .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
        assertThatThrownBy(() -> s.collapseRange(100, 4096))
                .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
        assertThatThrownBy(() -> s.collapseRange(0, 64 << 10))
                .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
        assertThatThrownBy(() -> s.insertRange(64 << 10, 4096))
                .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
        ByteBuffer past = ByteBuffer.allocate(10);
        s.read(1 << 20, past);
        assertThat(past.position()).isEqualTo(10);
        assertThat(s.extents(0, 64 << 10, 4)).containsExactly(new Extent(0, 64 << 10, true));
        s.close();
        s.close();
        assertThat(s.isClosed()).isTrue();
    }
}
