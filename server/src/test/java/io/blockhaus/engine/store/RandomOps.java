package io.blockhaus.engine.store;

import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Drives a store with random operations and checks it against a plain byte array after each one.
 * Every failure message names the seed and the step, so a run replays with -Dstore.seed=...
 */
final class RandomOps {
    private final long seed;
    private final Random rnd;
    private final BackingStore store;
    private final int a;
    private final boolean reshapes;
    private byte[] model;
    private int step;
    private String last = "";

    RandomOps(long seed, BackingStore store) {
        this(seed, store, true);
    }

    /** {@code reshapes} false: the store answers ENOTSUP to collapse and insert (checked instead). */
    RandomOps(long seed, BackingStore store, boolean reshapes) {
        this.reshapes = reshapes;
        this.seed = seed;
        this.rnd = new Random(seed);
        this.store = store;
        this.a = store.blockAlignment();
        this.model = new byte[(int) store.size()];
    }

    void run(int steps) {
        for (step = 0; step < steps; step++) {
            try {
                one();
                if (step % 100 == 99) {
                    assertThat(read(0, model.length + a)).as("whole store").isEqualTo(expected(0, model.length + a));
                }
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError("seed " + seed + ", step " + step + ", after " + last + ": " + e.getMessage(), e);
            }
        }
    }

    private void one() {
        int size = model.length;
        switch (rnd.nextInt(12)) {
            case 0, 1, 2 -> {
                int off = rnd.nextInt(size + 1);
                int len = rnd.nextInt(Math.min(size - off, 3 * a) + 1);
                byte[] data = new byte[len];
                rnd.nextBytes(data);
                last = "write " + off + "+" + len;
                ByteBuffer src = rnd.nextBoolean() ? ByteBuffer.wrap(data)
                        : ByteBuffer.allocateDirect(len).put(data).flip();
                store.write(off, src);
                System.arraycopy(data, 0, model, off, len);
            }
            case 3, 4 -> {
                int off = rnd.nextInt(size + a);
                int len = rnd.nextInt(3 * a);
                last = "read " + off + "+" + len;
                assertThat(read(off, len)).isEqualTo(expected(off, len));
            }
            case 5 -> {
                int[] r = range(size);
                boolean punch = rnd.nextBoolean();
                last = (punch ? "punch " : "zero ") + r[0] + "+" + r[1];
                if (punch) {
                    store.punchHole(r[0], r[1]);
                } else {
                    store.zeroRange(r[0], r[1]);
                }
                Arrays.fill(model, r[0], r[0] + r[1], (byte) 0);
            }
            case 6 -> {
                int[] r = range(size);
                last = "allocate " + r[0] + "+" + r[1];
                store.allocate(r[0], r[1]);
            }
            case 7 -> {
                if (reshapes) {
                    collapse(size);
                } else {
                    refused("collapse", () -> store.collapseRange(0, a));
                }
            }
            case 8 -> {
                if (reshapes) {
                    insert(size);
                } else {
                    refused("insert", () -> store.insertRange(0, a));
                }
            }
            case 9 -> {
                int newSize = rnd.nextInt(24 * a) + (rnd.nextBoolean() ? 0 : rnd.nextInt(a));
                last = "truncate " + newSize;
                store.truncate(newSize);
                model = Arrays.copyOf(model, newSize);
            }
            case 10 -> {
                int off = rnd.nextInt(size + 1);
                int len = rnd.nextInt(size + a);
                last = "extents " + off + "+" + len;
                List<Extent> extents = BackingStoreContractTest.checkedExtents(store, off, len);
                for (Extent e : extents) {
                    if (e.hole()) {
                        assertThat(expected(e.offset(), (int) e.length())).as("model zero in hole " + e)
                                .isEqualTo(new byte[(int) e.length()]);
                    }
                }
            }
            default -> {
                int off = size + rnd.nextInt(a);
                last = "bad write at " + off;
                assertThatThrownBy(() -> store.write(off, ByteBuffer.allocate(1 + rnd.nextInt(10))))
                        .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
                if (rnd.nextInt(10) == 0) {
                    store.force();
                }
            }
        }
        assertThat(store.size()).as("size").isEqualTo(model.length);
    }

    private void refused(String what, org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
        last = what + " (ENOTSUP)";
        assertThatThrownBy(call).isInstanceOfSatisfying(ErrnoException.class,
                e -> assertThat(e.errno()).isEqualTo(Errno.ENOTSUP));
    }

    private void collapse(int size) {
        int blocks = size / a;
        if (blocks < 2 || rnd.nextInt(8) == 0) {
            int off = rnd.nextInt(size + 1);
            int len = a + rnd.nextInt(2 * a);
            last = "bad collapse " + off + "+" + len;
            boolean valid = off % a == 0 && len % a == 0 && off + len < size;
            if (!valid) {
                assertThatThrownBy(() -> store.collapseRange(off, len))
                        .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
                return;
            }
        }
        int first = rnd.nextInt(Math.max(1, blocks - 1));
        int count = 1 + rnd.nextInt(Math.max(1, Math.min(4, blocks - first - 1)));
        int off = first * a;
        int len = count * a;
        if (off + len >= size) {
            return;
        }
        last = "collapse " + off + "+" + len;
        store.collapseRange(off, len);
        byte[] next = new byte[size - len];
        System.arraycopy(model, 0, next, 0, off);
        System.arraycopy(model, off + len, next, off, size - off - len);
        model = next;
    }

    private void insert(int size) {
        if (size == 0 || size > 40 * a) {
            return;
        }
        int off = rnd.nextInt((size - 1) / a + 1) * a;
        int len = (1 + rnd.nextInt(4)) * a;
        last = "insert " + off + "+" + len;
        store.insertRange(off, len);
        byte[] next = new byte[size + len];
        System.arraycopy(model, 0, next, 0, off);
        System.arraycopy(model, off, next, off + len, size - off);
        model = next;
    }

    /** A random range inside the size, often unaligned, sometimes empty. */
    private int[] range(int size) {
        int off = rnd.nextInt(size + 1);
        int len = rnd.nextInt(size - off + 1);
        return new int[] {off, len};
    }

    private byte[] read(long off, int len) {
        return BackingStoreContractTest.read(store, off, len);
    }

    private byte[] expected(long off, int len) {
        byte[] out = new byte[len];
        if (off < model.length) {
            System.arraycopy(model, (int) off, out, 0, (int) Math.min(len, model.length - off));
        }
        return out;
    }
}
