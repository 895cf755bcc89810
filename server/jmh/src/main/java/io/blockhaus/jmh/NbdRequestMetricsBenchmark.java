package io.blockhaus.jmh;

import io.blockhaus.metrics.LatencyBuckets;
import io.blockhaus.metrics.frontend.NbdMeters;
import io.blockhaus.metrics.frontend.RequestHistograms;
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
 * for a 4 KiB READ answered OK, that is two clock reads and {@code NbdMeters}' report (a cell
 * array read, a per-connection histogram cell record, a bytes counter add) against a Prometheus
 * registry, and the same with metrics off ({@link NbdEvents.Requests#NONE}, no clock read). Each
 * benchmark thread is one connection (its own cells, as an event loop's connection has), sharing
 * the export's series and bytes counters: run with {@code -t 2} to see two loops on one export.
 * {@code histogramTimer} is what a Micrometer timer with the same buckets costs (the design
 * before 2026-12-05), for comparison.
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
    private NbdMeters meters;
    private io.micrometer.core.instrument.Timer plain;
    private io.micrometer.core.instrument.Timer histogram;
    private final NbdEvents.Requests off = NbdEvents.NONE.connected("bench");

    @Setup(Level.Trial)
    public void setUp() {
        registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        meters = new NbdMeters(registry, RequestHistograms.register(registry));
        plain = io.micrometer.core.instrument.Timer.builder("bench.plain").register(registry);
        histogram = LatencyBuckets.timer("bench.histogram").register(registry);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        registry.close();
    }

    /** One connection: its reports go to cells only its thread writes. */
    @State(Scope.Thread)
    public static class Connection {
        NbdEvents.Requests requests;

        @Setup(Level.Trial)
        public void connect(NbdRequestMetricsBenchmark b) {
            requests = b.meters.connected("bench");
        }
    }

    /** Metrics on: what a 4 KiB READ's report costs, clock reads included. */
    @Benchmark
    public void readReported(Connection c) {
        long started = System.nanoTime();
        long now = System.nanoTime();
        c.requests.answered(NbdCommand.READ, NbdError.OK, now - started, now, 0, 4096);
    }

    /** The report alone, without the clock reads (a fixed 4 µs READ). */
    @Benchmark
    public void reportOnly(Connection c) {
        c.requests.answered(NbdCommand.READ, NbdError.OK, 4000, 0, 0, 4096);
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

    /** A Micrometer timer with the shared buckets alone (no clock reads, no counter): the old design's record. */
    @Benchmark
    public void histogramTimer() {
        histogram.record(4000, TimeUnit.NANOSECONDS);
    }

    /** Metrics off: the report is skipped before the clock is read (RequestReporter's {@code timed}). */
    @Benchmark
    public void readNotReported() {
        off.answered(NbdCommand.READ, NbdError.OK, 0, 0, 0, 4096);
    }
}
