package io.blockhaus.engine;

import io.blockhaus.engine.cache.CacheSystem;
import io.blockhaus.engine.cache.NonBlockingGiveUps;
import io.blockhaus.engine.events.VolumeListeners;
import io.blockhaus.engine.lock.LockListener;
import io.blockhaus.engine.lock.PagecacheLock;
import io.blockhaus.engine.store.BackingStore;
import io.blockhaus.engine.store.HugePageMemory;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedTransferQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * One page-cache system: the memory budget, the writeback and readahead workers, and the volumes
 * that share them. Front ends get volumes from here (or from a registry built on it).
 *
 * <p>Two background workers, both optional (correctness never depends on them, see
 * {@link CacheSystem}): a writer thread that wakes every {@code writebackInterval}, or when
 * dirty memory passes the background ratio, and writes back expired and excess dirty pages; and
 * a small readahead pool with a bounded queue whose overflow is dropped, because readahead is a
 * hint. Without background threads, asynchronous readahead runs on the reading thread after its
 * read completes.
 */
public final class Engine implements AutoCloseable {
    private static final int READAHEAD_QUEUE = 64;

    private final EngineConfig config;
    private final CacheSystem system;
    private final CopyOnWriteArrayList<Volume> volumes = new CopyOnWriteArrayList<>();
    private final Recalls recalls = new Recalls();
    private final Thread writer;
    private final ThreadPoolExecutor readahead;
    private final AtomicInteger queuedReadahead = new AtomicInteger();
    private final Object kick = new Object();
    private boolean kicked; // guarded by kick
    private volatile boolean closed;

    public Engine(EngineConfig config) {
        this(config, System::nanoTime);
    }

    /** With an injected clock, for tests of writeback by age. */
    public Engine(EngineConfig config, LongSupplier nanoClock) {
        this.config = config;
        this.system = new CacheSystem(config.cacheBytes(), config.dirtyBackgroundRatio(), config.dirtyHardRatio(),
                config.dirtyExpire().toNanos(), config.memoryWait().toNanos(), nanoClock,
                config.hugePages() ? HugePageMemory.open().orElse(null) : null);
        if (config.backgroundThreads()) {
            system.onBackgroundThreshold(this::kickWriter);
            writer = Thread.ofPlatform().name("blockhaus-writeback").daemon().unstarted(this::writerLoop);
            // Lock-free hand-off: event loops queue readahead (see readaheadIfQueued), so the queue
            // is a LinkedTransferQueue bounded by queuedReadahead, not an ArrayBlockingQueue
            // (a mutex), and the one thread is started now and kept (starting it takes the
            // pool's own mutex).
            readahead = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new LinkedTransferQueue<>(),
                    Thread.ofPlatform().name("blockhaus-readahead-", 0).daemon().factory(),
                    new ThreadPoolExecutor.DiscardPolicy());
            readahead.prestartCoreThread();
            // The same thread carves the page pools' next slabs ahead of need: a hint, like readahead.
            system.carveAheadOn(readahead::execute);
            writer.start();
        } else {
            writer = null;
            readahead = null;
        }
    }

    /**
     * Opens a volume over {@code store}. The engine owns the store from now on and closes it with
     * the volume. {@code lockListener} sees every acquisition of the volume's pagecache lock.
     */
    public Volume open(VolumeConfig config, BackingStore store, LockListener lockListener) {
        return open(config, store, VolumeListeners.lockOnly(lockListener));
    }

    /**
     * Opens a volume over {@code store} whose lock, cache, readahead and writeback events go to
     * {@code listeners} for its whole life (a metrics binding attaches here, see
     * {@code io.blockhaus.metrics.EngineMetrics}). The cache listener hears {@code closed()}
     * last, when the volume has closed.
     */
    public Volume open(VolumeConfig config, BackingStore store, VolumeListeners listeners) {
        if (closed) {
            throw new IllegalStateException("engine closed");
        }
        for (Volume v : volumes) {
            if (v.name().equals(config.name())) {
                throw new IllegalArgumentException("volume " + config.name() + " is already open");
            }
        }
        Volume v = new Volume(this, config, store, PagecacheLock.create(config.lockPolicy(), listeners.lock()),
                listeners);
        volumes.add(v);
        return v;
    }

    public Volume open(VolumeConfig config, BackingStore store) {
        return open(config, store, LockListener.NONE);
    }

    /**
     * Maps and touches the page cache's memory now, up to {@link #limitBytes()}, for the page
     * sizes of the volumes open now, on one thread per core, and returns the bytes of page memory
     * the cache then holds: a server that calls this before it listens has its first clients'
     * misses find memory the kernel already zeroed (see {@link CacheSystem#prefault}). The memory
     * stays the cache's, as a full cache's would.
     */
    public long prefaultCache() throws InterruptedException {
        system.prefault(Runtime.getRuntime().availableProcessors());
        return system.carvedBytes();
    }

    public List<Volume> volumes() {
        return List.copyOf(volumes);
    }

    /**
     * Runs one pass of background writeback on the caller's thread (expired pages and ratio;
     * volumes whose writeback is failing only when their retry is due).
     */
    public void writebackNow() {
        system.backgroundPass();
    }

    /** Page memory in use, in bytes, across all volumes. */
    public long usedBytes() {
        return system.usedBytes();
    }

    /** Dirty page memory, in bytes, across all volumes. */
    public long dirtyBytes() {
        return system.dirtyBytes();
    }

    /** The page memory budget, in bytes ({@code --cache-size}). */
    public long limitBytes() {
        return system.limitBytes();
    }

    /** Dirty bytes above which background writeback starts. */
    public long dirtyBackgroundBytes() {
        return system.dirtyBackgroundBytes();
    }

    /** Dirty bytes above which writers are throttled (write back themselves, or wait). */
    public long dirtyHardBytes() {
        return system.dirtyHardBytes();
    }

    /** Reads a thread that must not wait (an event loop) gave up to a worker, by reason (the metrics read them). */
    public NonBlockingGiveUps nonBlockingGiveUps() {
        return system.giveUps();
    }

    /** Calls waiting, with a deadline or a cancellation, for a busy page's lock (front ends' tests look). */
    public int pageLockWaiters() {
        return system.pageLockWaiters();
    }

    public EngineConfig config() {
        return config;
    }

    /** Recall before completion: the scopes operations run in (see {@link Recalls}). */
    Recalls recalls() {
        return recalls;
    }

    CacheSystem cacheSystem() {
        return system;
    }

    void forget(Volume v) {
        volumes.remove(v);
    }

    /** Runs an asynchronous readahead job: on the pool, or inline without background threads. */
    void readahead(Runnable job) {
        if (readahead == null) {
            job.run();
        } else {
            queueReadahead(job);
        }
    }

    /**
     * Queues a readahead job on the pool; without background threads the hint is dropped. Takes
     * no lock (an event loop calls it).
     */
    void readaheadIfQueued(Runnable job) {
        if (readahead != null) {
            queueReadahead(job);
        }
    }

    /** At most {@link #READAHEAD_QUEUE} jobs wait; more are dropped, since readahead is a hint. */
    private void queueReadahead(Runnable job) {
        if (queuedReadahead.incrementAndGet() > READAHEAD_QUEUE) {
            queuedReadahead.decrementAndGet();
            return;
        }
        readahead.execute(() -> {
            queuedReadahead.decrementAndGet();
            job.run();
        });
    }

    private void kickWriter() {
        synchronized (kick) {
            if (!kicked) {
                kicked = true;
                kick.notifyAll();
            }
        }
    }

    private void writerLoop() {
        long intervalMillis = Math.max(1, config.writebackInterval().toMillis());
        boolean stuck = false;
        while (!closed) {
            synchronized (kick) {
                // Stuck (a failing volume's pages waiting for their retry): writers' kicks would
                // only make this thread spin over pages it cannot write; the interval will do.
                if (!kicked || stuck) {
                    try {
                        kick.wait(intervalMillis);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                kicked = false;
            }
            try {
                stuck = system.backgroundPass();
            } catch (RuntimeException e) {
                // Not a writeback failure (those are recorded, reported by flush, and retried
                // with backoff inside the pass): a bug. Keep writing back.
                stuck = false;
                System.getLogger(Engine.class.getName()).log(System.Logger.Level.ERROR, "writeback pass failed", e);
            }
        }
    }

    /**
     * Closes every volume (writing back and forcing dirty pages) and stops the workers. The first
     * volume failure is rethrown after every volume has been closed.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        RuntimeException first = null;
        for (Volume v : volumes) {
            try {
                v.close();
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (writer != null) {
            writer.interrupt();
            readahead.shutdownNow();
            try {
                writer.join(10_000);
                readahead.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        system.close();
        if (first != null) {
            throw first;
        }
    }
}
