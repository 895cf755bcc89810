package io.blockhaus.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.engine.call.CallBudget;
import io.blockhaus.engine.errno.ErrnoException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The other threads of the call-budget tests: one that holds something (a lock, a page) until
 * the test releases it, and operations run under a {@link CallBudget}. Closing releases every
 * hold and stops the threads.
 */
final class OtherThreads implements AutoCloseable {
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> Thread.ofPlatform().daemon().unstarted(r));
    private final List<CountDownLatch> releases = new ArrayList<>();

    /** A hold {@code take} gets on another thread, kept until the returned latch opens. */
    CountDownLatch hold(Supplier<? extends AutoCloseable> take) throws InterruptedException {
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        releases.add(release);
        pool.execute(() -> {
            try (AutoCloseable b = take.get()) {
                held.countDown();
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        assertThat(held.await(10, TimeUnit.SECONDS)).isTrue();
        return release;
    }

    /** Runs {@code op} under {@code call} on another thread. */
    CompletableFuture<Void> under(CallBudget call, Runnable op) {
        return CompletableFuture.runAsync(() -> call.run(op), pool);
    }

    /** How {@code f} failed: an ErrnoException, within 30 s (a wait that did not end fails the test). */
    static ErrnoException failureOf(CompletableFuture<?> f) throws InterruptedException {
        try {
            f.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(ErrnoException.class);
            return (ErrnoException) e.getCause();
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("still waiting", e);
        }
        throw new AssertionError("succeeded");
    }

    @Override
    public void close() throws InterruptedException {
        releases.forEach(CountDownLatch::countDown);
        pool.shutdownNow();
        pool.awaitTermination(10, TimeUnit.SECONDS);
    }
}
