package io.blockhaus.jmh;

import io.blockhaus.metrics.frontend.NbdMeters;
import io.blockhaus.nbd.NbdEvents;
import io.blockhaus.nbd.codec.NbdCommand;
import io.blockhaus.nbd.codec.NbdError;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What metrics add to one NBD request on the event loop: the work {@code RequestReporter} does
 * for a 4 KiB READ answered OK, that is two clock reads and {@code NbdMeters}' report (a timer
 * array read, a histogram timer record, a bytes counter add) against a Prometheus registry, and
 * the same with metrics off ({@link NbdEvents.Requests#NONE}, no clock read). The meters are
 * shared (Scope.Benchmark), as one export's are by every event loop: run with {@code -t 2} to see
 * two loops recording into the same timer.
 * Run: {@code java -jar server/jmh/target/blockhaus-benchmarks.jar NbdRequestMetricsBenchmark -t 1}
 * (and {@code -t 2}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class NbdRequestMetricsBenchmark {
    private PrometheusMeterRegistry registry;
    private NbdEvents.Requests on;
    private io.micrometer.core.instrument.Timer plain;
    private io.micrometer.core.instrument.Timer histogram;
    private final NbdEvents.Requests off = NbdEvents.NONE.connected("bench");

    @Setup(Level.Trial)
    public void setUp() {
        registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        on = new NbdMeters(registry).connected("bench");
        plain = io.micrometer.core.instrument.Timer.builder("bench.plain").register(registry);
        histogram = io.blockhaus.metrics.frontend.FrontendMeters.requests(registry, "nbd", "bench", "read", "ok");
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        registry.close();
    }

    /** Metrics on: what a 4 KiB READ's report costs, clock reads included. */
    @Benchmark
    public void readReported() {
        long started = System.nanoTime();
        on.answered(NbdCommand.READ, NbdError.OK, System.nanoTime() - started, 0, 4096);
    }

    /** The two clock reads alone. */
    @Benchmark
    public long clockOnly() {
        long started = System.nanoTime();
        return System.nanoTime() - started;
    }

    /** A Prometheus timer without a histogram: what the histogram adds, by difference. */
    @Benchmark
    public void plainTimer() {
        plain.record(4000, TimeUnit.NANOSECONDS);
    }

    /** The histogram timer alone (no clock reads, no counter). */
    @Benchmark
    public void histogramTimer() {
        histogram.record(4000, TimeUnit.NANOSECONDS);
    }

    /** Metrics off: the report is skipped before the clock is read (RequestReporter's {@code timed}). */
    @Benchmark
    public void readNotReported() {
        off.answered(NbdCommand.READ, NbdError.OK, 0, 0, 4096);
    }
}
