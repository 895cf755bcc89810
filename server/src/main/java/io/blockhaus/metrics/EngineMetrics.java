package io.blockhaus.metrics;

import io.blockhaus.engine.Engine;
import io.blockhaus.engine.Volume;
import io.blockhaus.engine.VolumeConfig;
import io.blockhaus.engine.lock.LockListener;
import io.blockhaus.engine.store.BackingStore;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Binds an engine and its volumes to a {@link MeterRegistry} (docs/metrics.md: the pagecache
 * lock, page cache, readahead and writeback meters). The server makes one and opens every
 * volume through {@link #open}:
 *
 * <pre>{@code
 * EngineMetrics metrics = new EngineMetrics(registry, jfrThreshold);
 * metrics.bindEngine(engine);                                   // server-wide cache gauges
 * opener = (config, store) -> metrics.open(engine, config, store, lockStats.recorderFor(config.name()));
 * }</pre>
 *
 * A volume's meters go when the volume closes (deleted over gRPC, or the server stopping), so a
 * volume deleted and created again starts from zero. One volume name is bound once at a time:
 * binding a name already bound fails like opening a volume already open, and leaves the bound
 * one alone (the registry would otherwise hand back its meters, and removing them on the
 * failure would strip the open volume).
 */
public final class EngineMetrics {
    /** Lock waits at least this long become JFR events unless told otherwise. */
    public static final Duration DEFAULT_JFR_LOCK_WAIT_THRESHOLD = Duration.ofMillis(10);

    private final MeterRegistry registry;
    private final Duration jfrThreshold;
    private final Map<String, VolumeMetrics> bound = new ConcurrentHashMap<>();

    public EngineMetrics(MeterRegistry registry) {
        this(registry, DEFAULT_JFR_LOCK_WAIT_THRESHOLD);
    }

    /** {@code jfrLockWaitThreshold}: lock waits at least this long are recorded as {@code io.blockhaus.LockWait} events. */
    public EngineMetrics(MeterRegistry registry, Duration jfrLockWaitThreshold) {
        this.registry = Objects.requireNonNull(registry, "registry");
        if (jfrLockWaitThreshold.isNegative()) {
            throw new IllegalArgumentException("negative JFR lock-wait threshold " + jfrLockWaitThreshold);
        }
        this.jfrThreshold = jfrLockWaitThreshold;
    }

    /** Registers the server-wide cache gauges (used, limit, dirty, dirty limits) of {@code engine}. */
    public void bindEngine(Engine engine) {
        ServerCacheMeters.bind(new BoundMeters(registry, Tags.empty()), engine);
    }

    /**
     * The meters of a volume about to be opened with {@code config}: pass
     * {@link VolumeMetrics#listeners()} to {@code Engine.open}, then call
     * {@link VolumeMetrics#bindGauges} with the volume. {@code alsoLock} hears the lock's events
     * too ({@link LockListener#NONE} for none).
     *
     * @throws IllegalArgumentException the name is bound already (its volume is open)
     */
    public VolumeMetrics bindVolume(VolumeConfig config, LockListener alsoLock) {
        String name = config.name();
        VolumeMetrics[] made = new VolumeMetrics[1];
        bound.compute(name, (k, old) -> {
            if (old != null) {
                throw new IllegalArgumentException("volume " + name + " is already open");
            }
            made[0] = new VolumeMetrics(new BoundMeters(registry, Tags.of("volume", name)), name, config.pageSize(),
                    config.lockPolicy(), alsoLock, jfrThreshold, () -> bound.remove(name));
            return made[0];
        });
        return made[0];
    }

    /**
     * Opens a volume with its meters bound: {@link #bindVolume}, {@code Engine.open}, then the
     * gauges. If the open fails, the meters are removed again.
     */
    public Volume open(Engine engine, VolumeConfig config, BackingStore store, LockListener alsoLock) {
        VolumeMetrics m = bindVolume(config, alsoLock);
        try {
            Volume v = engine.open(config, store, m.listeners());
            m.bindGauges(v);
            return v;
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }
}
