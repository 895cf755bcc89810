package io.blockhaus.engine;

import static io.blockhaus.engine.TestSupport.PAGE;
import static io.blockhaus.engine.TestSupport.awaitCondition;
import static io.blockhaus.engine.TestSupport.filled;
import static io.blockhaus.engine.TestSupport.read;
import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.engine.call.CallBudget;
import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import io.blockhaus.engine.lock.LockMode;
import io.blockhaus.engine.lock.LockPolicy;
import io.blockhaus.engine.lock.PagecacheLock;
import io.blockhaus.engine.store.MemoryStore;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue 12, per-call deadlines and cancellation in the engine: a wait of an operation bound to a
 * {@link CallBudget} ends at the call's deadline when it is shorter than the engine's own bound,
 * and at once when the call is cancelled, having changed nothing; an operation that has changed
 * something completes whatever its call does. Every engine bound here is a minute, so a test
 * that waited one out would fail on time, not pass by luck; nothing sleeps.
 */
class CallBudgetTest {
    static final Duration LONG = Duration.ofMinutes(1);
    static final long WELL_WITHIN = TimeUnit.SECONDS.toNanos(20);

    Engine engine;
    Volume vol;
    Handle h;
    final OtherThreads others = new OtherThreads();

    void open(LockPolicy policy, long cacheBytes) {
        engine = new Engine(new EngineConfig(cacheBytes, 0.10, 0.40, Duration.ofSeconds(5), Duration.ofMillis(500),
                LONG, false).withMappedShare(1.0));
        vol = engine.open(VolumeConfig.of("budget").withLockPolicy(policy).withLockTimeout(LONG)
                .withFaultAroundPages(1), new MemoryStore(256L * PAGE));
        h = vol.open();
    }

    @AfterEach
    void close() throws InterruptedException {
        others.close();
        if (engine != null) {
            engine.close();
        }
    }

    /** BLOCK on {@code [first, end)} held by a thread of the pool until the returned latch opens. */
    CountDownLatch holdBlock(long first, long end) throws Exception {
        return holdElsewhere(() -> vol.block(first, end, CallBudget.NONE));
    }

    /** A hold {@code take} gets on another thread, kept until the returned latch opens. */
    CountDownLatch holdElsewhere(java.util.function.Supplier<? extends AutoCloseable> take) throws Exception {
        return others.hold(take);
    }

    /** Runs {@code op} under {@code call} on another thread. */
    CompletableFuture<Void> under(CallBudget call, Runnable op) {
        return others.under(call, op);
    }

    static Errno errnoOf(CompletableFuture<?> f) throws InterruptedException {
        return OtherThreads.failureOf(f).errno();
    }

    @ParameterizedTest
    @EnumSource(LockPolicy.class)
    void aCancelledWriteWaitingForAddBehindBlockGivesUpAndChangesNothing(LockPolicy policy) throws Exception {
        open(policy, 1 << 20);
        CountDownLatch release = holdBlock(0, 16);
        CallBudget call = CallBudget.unbounded();
        CompletableFuture<Void> writer = under(call, () -> h.write(PAGE, ByteBuffer.wrap(filled(PAGE, 7)), false));
        awaitCondition(() -> vol.lock().waiters(LockMode.ADD) == 1 && call.registeredWaiters() == 1,
                Duration.ofSeconds(10), "the writer to wait for ADD");

        call.cancel();

        assertThat(errnoOf(writer)).isEqualTo(Errno.EINTR);
        assertThat(vol.lock().waiters(LockMode.ADD)).as("the waiter list is clean").isZero();
        assertThat(call.registeredWaiters()).isZero();
        assertThat(vol.lock().holders(LockMode.BLOCK)).as("the holder is untouched").isEqualTo(1);
        assertThat(vol.cachedPages()).as("no page added").isZero();
        assertThat(engine.cacheSystem().usedBytes()).as("no memory kept").isZero();
        release.countDown();
        assertThat(read(h, PAGE, PAGE)).as("nothing written").isEqualTo(new byte[PAGE]);
        TestSupport.write(h, PAGE, filled(PAGE, 8), false); // the lock serves others normally
        assertThat(read(h, PAGE, PAGE)).isEqualTo(filled(PAGE, 8));
    }

    @ParameterizedTest
    @EnumSource(LockPolicy.class)
    void aDeadlineShorterThanTheLockTimeoutEndsTheWaitWithEtimedout(LockPolicy policy) throws Exception {
        open(policy, 1 << 20);
        CountDownLatch release = holdBlock(0, 16);
        long start = System.nanoTime();
        CallBudget call = CallBudget.within(TimeUnit.MILLISECONDS.toNanos(100));
        ErrnoException e = TestSupport.expectErrno(Errno.ETIMEDOUT,
                () -> call.run(() -> h.read(0, ByteBuffer.allocate(PAGE))));
        assertThat(e.getMessage()).contains("the call's deadline");
        assertThat(System.nanoTime() - start).as("the call's deadline, not the minute of the volume")
                .isLessThan(WELL_WITHIN);
        assertThat(vol.cachedPages()).isZero();
        assertThat(vol.lock().waiters(LockMode.ADD)).isZero();
        release.countDown();
    }

    @Test
    void aDirectWriteWaitingForBlockBehindAddIsCancelledBeforeItInvalidatesAnything() throws Exception {
        open(LockPolicy.TWO_STATE, 1 << 20);
        TestSupport.write(h, 0, filled(PAGE, 1), false); // a cached, dirty page the write would shoot down
        CountDownLatch release = holdElsewhere(() -> vol.add(100, 101, CallBudget.NONE));
        CallBudget call = CallBudget.unbounded();
        CompletableFuture<Void> writer = under(call, () -> h.writeDirect(0, ByteBuffer.wrap(filled(PAGE, 2)), false));
        awaitCondition(() -> vol.lock().waiters(LockMode.BLOCK) == 1, Duration.ofSeconds(10),
                "the direct write to wait for BLOCK");
        call.cancel();
        assertThat(errnoOf(writer)).isEqualTo(Errno.EINTR);
        assertThat(vol.dirtyPages()).as("the dirty page was not written back nor dropped").isEqualTo(1);
        release.countDown();
        assertThat(read(h, 0, PAGE)).isEqualTo(filled(PAGE, 1));
    }

    @Test
    void aDirectWriteBehindATruncateGivesUpAtItsDeadlineHavingDoneNothing() throws Exception {
        open(LockPolicy.RANGE, 1 << 20);
        TestSupport.write(h, 0, filled(PAGE, 1), false);
        CountDownLatch release = holdElsewhere(() -> vol.resizeExclusive(CallBudget.NONE)); // a resize in progress
        long start = System.nanoTime();
        CallBudget call = CallBudget.within(TimeUnit.MILLISECONDS.toNanos(100));
        ErrnoException e = TestSupport.expectErrno(Errno.ETIMEDOUT,
                () -> call.run(() -> h.writeDirect(0, ByteBuffer.wrap(filled(PAGE, 2)), false)));
        assertThat(e.getMessage()).contains("the call's deadline").contains("resize");
        assertThat(System.nanoTime() - start).isLessThan(WELL_WITHIN);
        assertThat(vol.dirtyPages()).as("nothing shot down").isEqualTo(1);
        release.countDown();
        assertThat(read(h, 0, PAGE)).isEqualTo(filled(PAGE, 1));
    }

    @Test
    void aWriteThatChangedAPageCompletesEvenWhenItsCallIsCancelled() throws Exception {
        open(LockPolicy.TWO_STATE, 1 << 20);
        TestSupport.write(h, 0, filled(PAGE, 1), false); // page 0 cached: written without any lock
        CountDownLatch release = holdBlock(100, 101); // two-state: BLOCK anywhere keeps ADD out
        CallBudget call = CallBudget.unbounded();
        CompletableFuture<Void> writer = under(call, () -> h.write(0, ByteBuffer.wrap(filled(2 * PAGE, 5)), false));
        awaitCondition(() -> vol.lock().waiters(LockMode.ADD) == 1, Duration.ofSeconds(10),
                "the write to wait for ADD on its second page");
        assertThat(call.registeredWaiters()).as("past its first change, the write no longer listens to its call")
                .isZero();
        call.cancel();
        assertThat(vol.lock().waiters(LockMode.ADD)).as("still waiting after the cancellation").isEqualTo(1);
        release.countDown();
        writer.get(30, TimeUnit.SECONDS);
        assertThat(read(h, 0, 2 * PAGE)).as("written whole, not half").isEqualTo(filled(2 * PAGE, 5));
    }

    @Test
    void aCancelledReaderWaitingForPinnedMemoryGivesUpWithNothingReserved() throws Exception {
        int cachePages = 16;
        open(LockPolicy.TWO_STATE, cachePages * PAGE);
        Mapping m = h.map(0, cachePages * PAGE, false, InvalidationListener.NONE);
        for (int i = 0; i < cachePages; i++) {
            m.read((long) i * PAGE, ByteBuffer.allocate(1)); // every page of the cache mapped: pinned
        }
        long used = engine.cacheSystem().usedBytes();
        CallBudget call = CallBudget.unbounded();
        CompletableFuture<Void> reader = under(call, () -> h.read(200L * PAGE, ByteBuffer.allocate(PAGE)));
        awaitCondition(() -> engine.cacheSystem().memoryWaiters() == 1 && call.registeredWaiters() == 1,
                Duration.ofSeconds(10), "the reader to wait for memory");

        call.cancel();

        assertThat(errnoOf(reader)).isEqualTo(Errno.EINTR);
        assertThat(engine.cacheSystem().memoryWaiters()).isZero();
        assertThat(call.registeredWaiters()).isZero();
        assertThat(engine.cacheSystem().usedBytes()).as("nothing reserved").isEqualTo(used);
        assertThat(vol.cachedPages()).isEqualTo(cachePages);
        assertThat(vol.lock().holders(LockMode.ADD)).as("no ADD taken while waiting for memory").isZero();
    }

    @Test
    void aDeadlineEndsAMemoryWaitWithEtimedoutNotEnomem() {
        int cachePages = 16;
        open(LockPolicy.TWO_STATE, cachePages * PAGE);
        Mapping m = h.map(0, cachePages * PAGE, false, InvalidationListener.NONE);
        for (int i = 0; i < cachePages; i++) {
            m.read((long) i * PAGE, ByteBuffer.allocate(1));
        }
        long start = System.nanoTime();
        CallBudget call = CallBudget.within(TimeUnit.MILLISECONDS.toNanos(100));
        ErrnoException e = TestSupport.expectErrno(Errno.ETIMEDOUT,
                () -> call.run(() -> h.read(200L * PAGE, ByteBuffer.allocate(PAGE))));
        assertThat(e.getMessage()).contains("page memory");
        assertThat(System.nanoTime() - start).isLessThan(WELL_WITHIN);
        assertThat(engine.cacheSystem().memoryWaiters()).isZero();
    }

    @Test
    void theRecallWaitIsHandedTheOperationsCallAndNbdStyleCallersGetNone() {
        open(LockPolicy.TWO_STATE, 1 << 20);
        List<CallBudget> seen = new ArrayList<>();
        Handle owner = vol.open();
        Mapping m = owner.map(0, 16L * PAGE, false, (mapping, first, end) -> new Recall() {
            @Override
            public void complete() {
                seen.add(null);
            }

            @Override
            public void complete(CallBudget call) {
                seen.add(call);
            }
        });
        m.read(0, ByteBuffer.allocate(1));
        CallBudget call = CallBudget.unbounded();
        call.run(() -> h.write(0, ByteBuffer.wrap(filled(PAGE, 3)), false));
        m.read(0, ByteBuffer.allocate(1));
        h.write(0, ByteBuffer.wrap(filled(PAGE, 4)), false); // no call bound: NBD's case
        assertThat(seen).containsExactly(call, CallBudget.NONE);
    }
}
