package io.blockhaus.engine.cache;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Holds a mutex on another thread until {@link #close}: for tests that show a call only tries
 * it (a call that waited would never return while it is held).
 */
final class HeldMutex implements AutoCloseable {
    private final CountDownLatch taken = new CountDownLatch(1);
    private final CountDownLatch release = new CountDownLatch(1);
    private final Thread holder;

    HeldMutex(ReentrantLock mutex) throws InterruptedException {
        holder = Thread.ofPlatform().name("mutex-holder").start(() -> {
            mutex.lock();
            try {
                taken.countDown();
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                mutex.unlock();
            }
        });
        taken.await();
        if (!mutex.isLocked()) {
            throw new IllegalStateException("the holder does not hold the mutex");
        }
    }

    @Override
    public void close() throws InterruptedException {
        release.countDown();
        holder.join();
    }
}
