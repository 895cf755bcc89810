package io.blockhaus.s3.objects;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * An {@link ObjectStore} around another for tests: it can be made unreachable (every request
 * fails retryable, status 0, as when the server is down), it can hold PUTs at a gate until the
 * test opens it, and it counts requests and the most PUTs/DELETEs ever in flight at once.
 */
public final class ScriptedObjectStore implements ObjectStore {
    private final ObjectStore inner;
    private final AtomicBoolean down = new AtomicBoolean();
    private final AtomicReference<CountDownLatch> gate = new AtomicReference<>(new CountDownLatch(0));
    public final AtomicInteger puts = new AtomicInteger();
    public final AtomicInteger deletes = new AtomicInteger();
    public final AtomicInteger gets = new AtomicInteger();
    private final AtomicInteger inFlight = new AtomicInteger();
    public final AtomicInteger maxInFlight = new AtomicInteger();
    private final Object arrivals = new Object();

    public ScriptedObjectStore(ObjectStore inner) {
        this.inner = inner;
    }

    /** Every request fails (retryable, no answer) until {@link #heal()}. */
    public void breakDown() {
        down.set(true);
    }

    public void heal() {
        down.set(false);
    }

    /** PUTs and DELETEs wait at the gate from now on (counted as in flight while they wait). */
    public void closeGate() {
        gate.set(new CountDownLatch(1));
    }

    public void openGate() {
        gate.get().countDown();
    }

    public int inFlight() {
        return inFlight.get();
    }

    /** Waits until {@code n} PUTs/DELETEs are in flight at once (false after 30 s). */
    public boolean awaitInFlight(int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        synchronized (arrivals) {
            while (inFlight.get() < n) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(arrivals, left);
            }
            return true;
        }
    }

    private void check() {
        if (down.get()) {
            throw new ObjectStoreException("store down (scripted)", true, 0, null);
        }
    }

    private <T> T mutation(java.util.function.Supplier<T> call) {
        int now = inFlight.incrementAndGet();
        maxInFlight.accumulateAndGet(now, Math::max);
        synchronized (arrivals) {
            arrivals.notifyAll();
        }
        try {
            gate.get().await();
            check();
            return call.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ObjectStoreException("interrupted at the gate", true, 0, e);
        } finally {
            inFlight.decrementAndGet();
        }
    }

    @Override
    public Optional<byte[]> get(String key) {
        check();
        gets.incrementAndGet();
        return inner.get(key);
    }

    @Override
    public boolean getRange(String key, long offset, ByteBuffer dst) {
        check();
        gets.incrementAndGet();
        return inner.getRange(key, offset, dst);
    }

    @Override
    public void put(String key, ByteBuffer body) {
        mutation(() -> {
            puts.incrementAndGet();
            inner.put(key, body);
            return null;
        });
    }

    @Override
    public CreateResult putIfAbsent(String key, ByteBuffer body) {
        return mutation(() -> inner.putIfAbsent(key, body));
    }

    @Override
    public void delete(String key) {
        mutation(() -> {
            deletes.incrementAndGet();
            inner.delete(key);
            return null;
        });
    }

    @Override
    public Head head(String key) {
        check();
        return inner.head(key);
    }

    @Override
    public List<ObjectInfo> list(String prefix, String startAfter, int max) {
        check();
        return inner.list(prefix, startAfter, max);
    }

    @Override
    public void close() {
        inner.close();
    }
}
