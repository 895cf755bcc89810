package io.blockhaus.engine.lock;

import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** A test thread with a result: the tests' way to park a thread in the lock and look at what it got. */
final class Actor<T> {
    private final Thread thread;
    private final CompletableFuture<T> result = new CompletableFuture<>();

    private Actor(String name, Callable<T> body) {
        thread = Thread.ofPlatform().name(name).daemon().unstarted(() -> {
            try {
                result.complete(body.call());
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
    }

    static <T> Actor<T> start(String name, Callable<T> body) {
        Actor<T> a = new Actor<>(name, body);
        a.thread.start();
        return a;
    }

    /**
     * Starts a thread that acquires, signals {@code acquired}, holds until {@code release} opens,
     * then closes. Its result is the hold's mode.
     */
    static Actor<LockMode> holder(PagecacheLock lock, LockMode mode, long first, long end,
                                  CountDownLatch acquired, CountDownLatch release) {
        return start("holder-" + mode + "[" + first + "," + end + ")", () -> {
            try (PagecacheLock.Hold h = lock.acquire(mode, first, end, TimeUnit.SECONDS.toNanos(30))) {
                acquired.countDown();
                if (!release.await(30, TimeUnit.SECONDS)) {
                    throw new AssertionError("never released");
                }
                return h.mode();
            }
        });
    }

    void interrupt() {
        thread.interrupt();
    }

    boolean isDone() {
        return result.isDone();
    }

    /** The body's result; its exception is rethrown as is. Bounded so a hang fails the test. */
    T join() throws Throwable {
        try {
            return result.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw e.getCause();
        } catch (TimeoutException e) {
            throw new AssertionError(thread.getName() + " did not finish; stack: "
                    + java.util.Arrays.toString(thread.getStackTrace()), e);
        }
    }

    /** For clean-up: wake and wait for it, whatever it was doing. */
    void stop() {
        thread.interrupt();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
