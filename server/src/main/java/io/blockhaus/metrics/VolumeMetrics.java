package io.blockhaus.metrics;

import io.blockhaus.engine.Volume;
import io.blockhaus.engine.events.VolumeListeners;
import io.blockhaus.engine.lock.FanOutLockListener;
import io.blockhaus.engine.lock.LockListener;
import io.blockhaus.engine.lock.LockPolicy;

/**
 * One volume's meters, made before the volume opens (the engine takes the listeners at open)
 * and completed after (the gauges read the open volume). Closing removes every meter of the
 * volume; the volume's own close does that too, through its cache listener.
 */
public final class VolumeMetrics implements AutoCloseable {
    private final BoundMeters meters;
    private final LockMeters lock;
    private final CacheMeters cache;
    private final VolumeListeners listeners;
    private final Runnable unbound;
    private boolean closed; // guarded by this

    VolumeMetrics(BoundMeters meters, String volume, int pageSize, LockPolicy policy, LockListener alsoLock,
            java.time.Duration jfrThreshold, Runnable unbound) {
        this.meters = meters;
        this.unbound = unbound;
        this.lock = new LockMeters(meters, policy, new LockWaitRecorder(volume, pageSize, jfrThreshold));
        this.cache = new CacheMeters(meters, this::close);
        this.listeners = new VolumeListeners(FanOutLockListener.of(lock, alsoLock), cache, new ReadaheadMeters(meters),
                new WritebackMeters(meters));
    }

    /** What to pass to {@code Engine.open}: the meters, and {@code alsoLock} (e.g. the GetLockStats recorder) on the lock. */
    public VolumeListeners listeners() {
        return listeners;
    }

    /** Registers the gauges that read the open volume: lock holders and waiters, pages by state. */
    public void bindGauges(Volume v) {
        lock.bindGauges(v.lock());
        cache.bindGauges(v);
    }

    /** Removes every meter of the volume (idempotent). */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        meters.removeAll();
        unbound.run();
    }
}
