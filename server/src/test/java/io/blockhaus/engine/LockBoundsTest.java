package io.blockhaus.engine;

import static io.blockhaus.engine.TestSupport.PAGE;
import static io.blockhaus.engine.TestSupport.expectErrno;
import static io.blockhaus.engine.TestSupport.filled;
import static io.blockhaus.engine.TestSupport.read;
import static io.blockhaus.engine.TestSupport.write;
import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.engine.cache.Page;
import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.lock.LockPolicy;
import io.blockhaus.engine.lock.PagecacheLock;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue 11 item 5, in the engine: every wait a client's operation can fall into is bounded,
 * and a path that would wait for its own BLOCK is refused with EDEADLOCK at once.
 */
class LockBoundsTest {
    static final long SIZE = 1 << 20;
    /** The bound under test: short, so that a test that waits it out stays quick. */
    static final Duration BOUND = Duration.ofMillis(300);
    /** Far above {@link #BOUND} and far below the 30 s a missing bound would cost. */
    static final long WELL_WITHIN = TimeUnit.SECONDS.toNanos(10);

    Engine engine;
    Volume vol;

    @AfterEach
    void closeEngine() {
        if (engine != null) {
            engine.close();
        }
    }

    Handle open(LockPolicy policy) {
        engine = new Engine(new EngineConfig(1 << 20, 0.10, 0.40, Duration.ofSeconds(5), Duration.ofMillis(10),
                BOUND, false));
        vol = engine.open(VolumeConfig.of("bounds-" + policy.label()).withLockPolicy(policy).withLockTimeout(BOUND),
                TestStores.memory(SIZE));
        return vol.open();
    }

    /** Something taken by another thread and kept there until closed. */
    interface HeldElsewhere extends AutoCloseable {
        @Override
        void close() throws Exception;
    }

    /** Takes {@code take} on a thread of its own, which keeps it until closed, then gives it back there. */
    static <T> HeldElsewhere holdElsewhere(Supplier<T> take, Consumer<T> give) throws InterruptedException {
        CountDownLatch taken = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<Void> holder = CompletableFuture.runAsync(() -> {
            T t = take.get();
            taken.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                give.accept(t);
            }
        }, r -> Thread.ofPlatform().daemon().start(r));
        assertThat(taken.await(10, TimeUnit.SECONDS)).as("taken on the other thread").isTrue();
        return () -> {
            release.countDown();
            holder.get(10, TimeUnit.SECONDS);
        };
    }

    @ParameterizedTest
    @EnumSource(LockPolicy.class)
    void aPathHoldingBlockThatFaultsItsOwnRangeGetsEdeadlockAtOnce(LockPolicy policy) {
        Handle h = open(policy);
        Mapping m = h.map(0, 16L * PAGE, true, InvalidationListener.NONE);
        try (PagecacheLock.Hold block = vol.block(0, 16, io.blockhaus.engine.call.CallBudget.NONE)) {
            long start = System.nanoTime();
            expectErrno(Errno.EDEADLOCK, () -> read(m, 0, PAGE));
            assertThat(System.nanoTime() - start).as("refused, not timed out").isLessThan(WELL_WITHIN);
            assertThat(m.mappedPages()).as("nothing mapped").isZero();
            assertThat(h.pinnedPages()).as("nothing pinned").isZero();
        }
        write(m, 0, filled(PAGE, 7)); // the same fault once BLOCK is gone
        assertThat(read(m, 0, PAGE)).isEqualTo(filled(PAGE, 7));
    }

    @ParameterizedTest
    @EnumSource(LockPolicy.class)
    void aPageLockHeldPastTheBoundFailsTheReaderWithEtimedout(LockPolicy policy) throws Exception {
        Handle h = open(policy);
        write(h, 0, filled(PAGE, 3), false);
        HeldElsewhere stuck = holdElsewhere(() -> vol.cache().lookupLocked(0), Page::unlock);

        long start = System.nanoTime();
        expectErrno(Errno.ETIMEDOUT, () -> h.read(0, ByteBuffer.allocate(PAGE)));
        long waited = System.nanoTime() - start;
        assertThat(waited).as("waited the bound").isGreaterThanOrEqualTo(BOUND.toNanos()).isLessThan(WELL_WITHIN);
        expectErrno(Errno.ETIMEDOUT, () -> h.write(0, ByteBuffer.wrap(filled(PAGE, 4)), false));

        stuck.close();
        assertThat(read(h, 0, PAGE)).as("the timed-out write changed nothing").isEqualTo(filled(PAGE, 3));
    }

    @ParameterizedTest
    @EnumSource(LockPolicy.class)
    void closeBehindAStuckOperationFailsWithEtimedoutAndCanBeRetried(LockPolicy policy) throws Exception {
        Handle h = open(policy);
        write(h, 0, filled(PAGE, 5), false);
        HeldElsewhere add = holdElsewhere(() -> vol.add(0, 1, io.blockhaus.engine.call.CallBudget.NONE), PagecacheLock.Hold::close);

        long start = System.nanoTime();
        expectErrno(Errno.ETIMEDOUT, vol::close);
        assertThat(System.nanoTime() - start).isLessThan(WELL_WITHIN);
        assertThat(vol.isClosed()).as("a close that timed out leaves the volume open").isFalse();
        assertThat(read(h, 0, PAGE)).isEqualTo(filled(PAGE, 5));

        add.close();
        vol.close();
        assertThat(vol.isClosed()).isTrue();
        expectErrno(Errno.ESHUTDOWN, () -> h.read(0, ByteBuffer.allocate(PAGE)));
    }
}
