package io.blockhaus.jmh;

import io.blockhaus.engine.Engine;
import io.blockhaus.engine.EngineConfig;
import io.blockhaus.engine.Handle;
import io.blockhaus.engine.Volume;
import io.blockhaus.engine.VolumeConfig;
import io.blockhaus.engine.lock.LockListener;
import io.blockhaus.engine.store.MemoryStore;
import io.blockhaus.metrics.EngineMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the engine's metrics listeners cost the cached 4 KiB read, the path they must not slow:
 * {@code metrics=off} opens the volume with no listeners (the {@code NONE}s, calls the JIT
 * removes), {@code on} through {@code EngineMetrics} on a Prometheus registry (one hit counted
 * per read, a readahead-flag check per page). Both read paths: the worker's {@code read} and the
 * event loop's {@code readWithoutWaiting}. Random pages of a working set that fits the cache,
 * RANDOM advice.
 *
 * <p>Run: {@code java -jar server/jmh/target/blockhaus-benchmarks.jar MetricsOverheadBenchmark}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class MetricsOverheadBenchmark {
    private static final int PAGE = 4096;
    private static final long CACHE = 16L << 20;

    @Param({"off", "on"})
    public String metrics;

    private Engine engine;
    private Handle handle;
    private final ByteBuffer buf = ByteBuffer.allocateDirect(PAGE);
    private final SplittableRandom random = new SplittableRandom(42);
    private long cachedPages;

    @Setup(Level.Trial)
    public void setUp() {
        long size = 16 * CACHE;
        engine = new Engine(EngineConfig.withCache(CACHE));
        VolumeConfig config = VolumeConfig.of("bench");
        Volume volume = metrics.equals("on")
                ? new EngineMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT))
                        .open(engine, config, new MemoryStore(size), LockListener.NONE)
                : engine.open(config, new MemoryStore(size));
        handle = volume.open();
        cachedPages = CACHE / PAGE / 2;
        BufferedReadBenchmark.fillThenCacheTheStart(handle, size, cachedPages, buf);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        engine.close();
    }

    @Benchmark
    public ByteBuffer cachedRead() {
        buf.clear();
        handle.read(random.nextLong(cachedPages) * PAGE, buf);
        return buf;
    }

    @Benchmark
    public boolean cachedReadWithoutWaiting() {
        buf.clear();
        return handle.readWithoutWaiting(random.nextLong(cachedPages) * PAGE, buf);
    }
}
