package io.blockhaus.engine.cache;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Carves page pools up to the cache's budget on several threads at once, the work of
 * {@link CacheSystem#prefault}: the budget is split evenly between the pools (a pool's memory serves
 * only its page size, so carving each to the whole budget would hold that many budgets), and every
 * thread walks every pool, claiming slabs until the pool holds its share ({@link PagePool#prefault}
 * claims under the pool's mutex, so the threads together carve no more than the share).
 *
 * <p>Why threads: what a slab costs is the kernel clearing fresh memory (and, on a VM, the host
 * backing it), which runs on the touching thread; one thread per core divides the wait before a
 * server can listen. Why platform threads started and joined here, not the engine's executors: it
 * runs once, before any I/O, and must not wait behind the readahead thread's queue.
 */
final class PoolPrefault {
    private PoolPrefault() {
    }

    /**
     * @return the bytes carved
     * @throws RuntimeException the first failure of any thread (memory that could not be mapped),
     *                          once all of them have stopped
     */
    static long carve(List<PagePool> pools, long budgetBytes, int threads) throws InterruptedException {
        if (pools.isEmpty()) {
            return 0;
        }
        long share = budgetBytes / pools.size();
        AtomicLong carved = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> started = new ArrayList<>();
        for (int i = 0; i < Math.max(1, threads); i++) {
            started.add(Thread.ofPlatform().name("blockhaus-prefault-" + i).daemon().start(() -> {
                try {
                    for (PagePool p : pools) {
                        carved.addAndGet(p.prefault(share));
                    }
                } catch (RuntimeException | Error e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        for (Thread t : started) {
            t.join();
        }
        switch (failure.get()) {
            case null -> { }
            case RuntimeException e -> throw e;
            case Error e -> throw e;
            case Throwable t -> throw new IllegalStateException(t);
        }
        return carved.get();
    }
}
