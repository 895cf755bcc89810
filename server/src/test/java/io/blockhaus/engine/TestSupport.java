package io.blockhaus.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import io.blockhaus.engine.lock.LockListener;
import io.blockhaus.engine.lock.LockMode;
import io.blockhaus.engine.lock.LockOutcome;
import io.blockhaus.engine.lock.LockPolicy;
import io.blockhaus.engine.store.BackingStore;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.BooleanSupplier;

/** Small helpers shared by the engine tests. */
final class TestSupport {
    static final int PAGE = 4096;

    private TestSupport() {
    }

    /** A seed from {@code -D<property>=N}, or a fresh random one. Callers print it. */
    static long seed(String property) {
        Long fixed = Long.getLong(property);
        return fixed != null ? fixed : new SplittableRandom().nextLong();
    }

    /** Runs {@code r}, which must fail with exactly {@code expected}. */
    static ErrnoException expectErrno(Errno expected, Runnable r) {
        try {
            r.run();
        } catch (ErrnoException e) {
            assertThat(e.errno()).as("errno of %s", e.getMessage()).isEqualTo(expected);
            return e;
        }
        return fail("expected " + expected + " but the operation succeeded");
    }

    static byte[] random(SplittableRandom rnd, int len) {
        byte[] b = new byte[len];
        rnd.nextBytes(b);
        return b;
    }

    static byte[] filled(int len, int value) {
        byte[] b = new byte[len];
        Arrays.fill(b, (byte) value);
        return b;
    }

    static byte[] read(Handle h, long offset, int len) {
        ByteBuffer b = ByteBuffer.allocate(len);
        h.read(offset, b);
        assertThat(b.position()).as("read must fill the buffer to its limit").isEqualTo(len);
        return b.array();
    }

    static byte[] readDirect(Handle h, long offset, int len) {
        ByteBuffer b = ByteBuffer.allocate(len);
        h.readDirect(offset, b);
        assertThat(b.position()).as("direct read must fill the buffer to its limit").isEqualTo(len);
        return b.array();
    }

    static byte[] read(Mapping m, long offset, int len) {
        ByteBuffer b = ByteBuffer.allocate(len);
        m.read(offset, b);
        assertThat(b.position()).as("mapping load must fill the buffer to its limit").isEqualTo(len);
        return b.array();
    }

    static byte[] readStore(BackingStore s, long offset, int len) {
        ByteBuffer b = ByteBuffer.allocate(len);
        s.read(offset, b);
        return b.array();
    }

    static void write(Handle h, long offset, byte[] data, boolean fua) {
        ByteBuffer b = ByteBuffer.wrap(data);
        h.write(offset, b, fua);
        assertThat(b.hasRemaining()).as("write must consume the buffer").isFalse();
    }

    static void writeDirect(Handle h, long offset, byte[] data, boolean fua) {
        ByteBuffer b = ByteBuffer.wrap(data);
        h.writeDirect(offset, b, fua);
        assertThat(b.hasRemaining()).as("direct write must consume the buffer").isFalse();
    }

    static void write(Mapping m, long offset, byte[] data) {
        ByteBuffer b = ByteBuffer.wrap(data);
        m.write(offset, b);
        assertThat(b.hasRemaining()).as("mapping store must consume the buffer").isFalse();
    }

    static boolean isZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    /** Waits, spinning (no sleep), until {@code cond} holds; fails after {@code max}. */
    static void awaitCondition(BooleanSupplier cond, Duration max, String what) {
        long deadline = System.nanoTime() + max.toNanos();
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                fail("timed out after " + max + " waiting for " + what);
            }
            Thread.onSpinWait();
            Thread.yield();
        }
    }

    /**
     * The client library's behaviour on EDEADLOCK (DESIGN.md rule 2): retry the same direct write
     * from a mapping as a buffered write of the bytes the mapping holds. Returns true if it fell back.
     */
    static boolean writeDirectWithFallback(Handle h, long offset, MappedBuffer src, boolean fua) {
        try {
            h.writeDirect(offset, src, fua);
            return false;
        } catch (ErrnoException e) {
            if (e.errno() != Errno.EDEADLOCK) {
                throw e;
            }
        }
        byte[] bytes = read(src.mapping(), src.offset(), src.length());
        write(h, offset, bytes, fua);
        return true;
    }

    /** As {@link #writeDirectWithFallback}, for a direct read into a mapping: buffered read, then a store into the mapping. */
    static boolean readDirectWithFallback(Handle h, long offset, MappedBuffer dst) {
        try {
            h.readDirect(offset, dst);
            return false;
        } catch (ErrnoException e) {
            if (e.errno() != Errno.EDEADLOCK) {
                throw e;
            }
        }
        byte[] bytes = read(h, offset, dst.length());
        write(dst.mapping(), dst.offset(), bytes);
        return true;
    }

    /** A lock listener that counts everything, per mode, and keeps the longest wait. */
    static final class CountingLockListener implements LockListener {
        final AtomicLongArray acquired = new AtomicLongArray(2);
        final AtomicLongArray released = new AtomicLongArray(2);
        final AtomicLongArray maxWaitNanos = new AtomicLongArray(2);
        final AtomicLong deadlocks = new AtomicLong();
        final AtomicLong timeouts = new AtomicLong();
        final AtomicLong otherFailures = new AtomicLong();

        @Override
        public void acquired(LockMode mode, LockPolicy policy, long waitNanos, boolean contended) {
            acquired.incrementAndGet(mode.ordinal());
            maxWaitNanos.accumulateAndGet(mode.ordinal(), waitNanos, Math::max);
        }

        @Override
        public void released(LockMode mode, LockPolicy policy, long holdNanos) {
            released.incrementAndGet(mode.ordinal());
        }

        @Override
        public void failed(LockMode mode, LockPolicy policy, long waitNanos, LockOutcome outcome) {
            switch (outcome) {
                case EDEADLOCK -> deadlocks.incrementAndGet();
                case TIMEOUT -> timeouts.incrementAndGet();
                default -> otherFailures.incrementAndGet();
            }
        }

        long acquisitions() {
            return acquired.get(0) + acquired.get(1);
        }

        long acquired(LockMode mode) {
            return acquired.get(mode.ordinal());
        }

        long maxWaitNanos(LockMode mode) {
            return maxWaitNanos.get(mode.ordinal());
        }
    }
}
