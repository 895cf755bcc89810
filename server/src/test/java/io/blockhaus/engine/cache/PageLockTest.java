package io.blockhaus.engine.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import io.blockhaus.engine.store.MemoryStore;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The page's own lock ({@link PageLock}) keeps ReentrantLock's rules, and {@link Page#unlock}
 * frees a removed page at the last release only: reentrancy, a non-owner's unlock refused and
 * harmless, the bounded wait of {@link Page#lock()} and the interruptible {@code tryLockNanos},
 * a waiter woken by the unlock.
 */
class PageLockTest {
    private static final int PAGE = 4096;
    /** The page-lock wait of {@link Page#lock()} (the engine's memory wait) in these tests. */
    private static final long LOCK_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final CacheSystem system = new CacheSystem(16L * PAGE, 0.5, 0.75, Long.MAX_VALUE / 4,
            LOCK_WAIT_NANOS, System::nanoTime);
    private final PageCache cache = system.newCache("v", new MemoryStore(4L * PAGE), PAGE, () -> 4L * PAGE);
    /** The "other thread" of every test: one thread, so an owner test cannot pass by luck of a pool. */
    private final ExecutorService other = Executors.newSingleThreadExecutor();

    @AfterEach
    void close() {
        other.shutdownNow();
        system.close();
    }

    /** Page {@code idx}, cached, filled and locked once by the calling thread. */
    private Page cachedAndLocked(long idx) {
        List<Page> run = cache.insertAbsent(idx, idx + 1, null);
        cache.fill(run);
        return run.getFirst();
    }

    private <T> T onOther(java.util.concurrent.Callable<T> task) throws Exception {
        return other.submit(task).get(10, TimeUnit.SECONDS);
    }

    @Test
    void reentrantForItsOwnerAndFreeForOthersOnlyAfterTheLastUnlock() throws Exception {
        Page p = cachedAndLocked(0);
        assertThat(p.heldByMe()).isTrue();
        assertThat(p.reentered()).isFalse();
        assertThat(p.tryLock()).as("its owner takes it again").isTrue();
        p.lock();
        assertThat(p.holdCount()).isEqualTo(3);
        assertThat(p.reentered()).isTrue();

        assertThat(onOther(p::tryLock)).as("held: another thread cannot take it").isFalse();
        assertThat(onOther(p::heldByMe)).isFalse();
        assertThat(onOther(p::holdCount)).isZero();
        p.unlock();
        p.unlock();
        assertThat(onOther(p::tryLock)).as("one hold left: still held").isFalse();
        p.unlock();
        assertThat(p.heldByMe()).isFalse();
        assertThat(p.holdCount()).isZero();

        assertThat(onOther(p::tryLock)).as("the last unlock freed it").isTrue();
        assertThat(p.tryLock()).as("now the other thread's").isFalse();
        onOther(() -> {
            p.unlock();
            return null;
        });
        assertThat(p.tryLock()).isTrue();
        p.unlock();
    }

    @Test
    void anUnlockByAThreadThatDoesNotHoldItIsRefusedAndChangesNothing() throws Exception {
        Page p = cachedAndLocked(0);
        p.unlock();
        assertThatThrownBy(p::unlock).as("nobody holds it").isInstanceOf(IllegalMonitorStateException.class);

        p.lock();
        p.lock();
        cache.remove(p); // removed while held twice: freed at the last unlock only
        long used = system.usedBytes();
        assertThat(used).isEqualTo(PAGE);
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        onOther(() -> {
            try {
                p.unlock();
            } catch (Throwable t) {
                thrown.set(t);
            }
            return null;
        });
        assertThat(thrown.get()).isInstanceOf(IllegalMonitorStateException.class);
        assertThat(p.holdCount()).as("the owner's holds are untouched").isEqualTo(2);
        assertThat(system.usedBytes()).as("a non-owner's unlock frees nothing").isEqualTo(used);

        p.unlock();
        assertThat(system.usedBytes()).as("one hold left: not free yet").isEqualTo(used);
        p.unlock();
        assertThat(system.usedBytes()).as("the last unlock gave the page back").isZero();
        assertThatThrownBy(p::unlock).isInstanceOf(IllegalMonitorStateException.class);
        assertThat(system.usedBytes()).as("and nothing was given back twice").isZero();
    }

    @Test
    void lockWaitsAtMostThePageLockWaitThenFailsWithEtimedoutHoldingNothing() throws Exception {
        Page p = cachedAndLocked(0);
        long start = System.nanoTime();
        Throwable t = onOther(() -> {
            try {
                p.lock();
                return null;
            } catch (ErrnoException e) {
                return e;
            }
        });
        long waited = System.nanoTime() - start;
        assertThat(t).isInstanceOf(ErrnoException.class);
        assertThat(((ErrnoException) t).errno()).isEqualTo(Errno.ETIMEDOUT);
        assertThat(waited).as("it waited for the bound, not less").isGreaterThanOrEqualTo(LOCK_WAIT_NANOS);
        assertThat(onOther(p::holdCount)).as("and holds nothing").isZero();
        assertThat(p.holdCount()).isEqualTo(1);
        p.unlock();
    }

    @Test
    void tryLockNanosTimesOutOrIsInterruptedAndLockKeepsTheInterrupt() throws Exception {
        Page p = cachedAndLocked(0);
        assertThat(onOther(() -> p.tryLockNanos(TimeUnit.MILLISECONDS.toNanos(5)))).isFalse();
        assertThat(onOther(() -> {
            Thread.currentThread().interrupt();
            try {
                p.tryLockNanos(TimeUnit.SECONDS.toNanos(10));
                return "acquired";
            } catch (InterruptedException e) {
                return "interrupted";
            }
        })).as("interruptible, like ReentrantLock.tryLock(timeout)").isEqualTo("interrupted");
        assertThat(onOther(() -> {
            Thread.currentThread().interrupt();
            try {
                p.lock(); // uninterruptible: waits its bound, then ETIMEDOUT
                return "acquired";
            } catch (ErrnoException e) {
                return Thread.interrupted() ? "timed out, interrupt kept" : "timed out, interrupt lost";
            }
        })).isEqualTo("timed out, interrupt kept");
        p.unlock();
    }

    @Test
    void aWaiterIsWokenByTheLastUnlockAndTakesTheLock() throws Exception {
        CacheSystem patient = new CacheSystem(16L * PAGE, 0.5, 0.75, Long.MAX_VALUE / 4,
                TimeUnit.SECONDS.toNanos(60), System::nanoTime);
        try {
            PageCache c = patient.newCache("w", new MemoryStore(4L * PAGE), PAGE, () -> 4L * PAGE);
            List<Page> run = c.insertAbsent(0, 1, null);
            c.fill(run);
            Page p = run.getFirst();
            p.lock(); // two holds: the waiter must wait for the second unlock
            CompletableFuture<Boolean> waiter = CompletableFuture.supplyAsync(() -> {
                p.lock();
                boolean mine = p.heldByMe() && p.holdCount() == 1;
                p.unlock();
                return mine;
            }, other);
            while (!p.hasQueuedThreads()) { // the waiter is parked in the lock's queue
                assertThat(waiter).as("it cannot get the lock yet").isNotDone();
                Thread.onSpinWait();
            }
            p.unlock();
            assertThat(p.hasQueuedThreads()).as("not the last unlock: still waiting").isTrue();
            assertThat(waiter).isNotDone();
            p.unlock();
            assertThat(waiter.get(10, TimeUnit.SECONDS)).as("woken, and the lock was its alone").isTrue();
            assertThat(p.hasQueuedThreads()).isFalse();
        } finally {
            patient.close();
        }
    }
}
