package io.blockhaus.jmh;

import io.blockhaus.metrics.LatencyBuckets;
import io.blockhaus.metrics.frontend.NbdMeters;
import io.blockhaus.metrics.frontend.RequestHistograms;
import io.blockhaus.nbd.NbdEvents;
import io.blockhaus.nbd.codec.NbdCommand;
import io.blockhaus.nbd.codec.NbdError;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.concurrent.TimeUnit;

/**
 * {@link NbdRequestMetricsBenchmark}'s question, answered in thread CPU time rather than wall
 * time: on a machine other jobs load, JMH's average time counts the time the thread waited for a
 * core (the two clock reads alone read 100 to 140 ns at load 15 against 40 quiet), while
 * {@link ThreadMXBean#getCurrentThreadCpuTime()} counts only the time it ran. Per mode: twelve
 * rounds of five million calls, the first two discarded (warm-up), the least CPU per call of
 * the rest printed. Modes: the NBD report of a 4 KiB READ as {@code NbdMeters} makes it
 * (per-connection cell and bytes counter), the same with its two clock reads, the two clock reads
 * alone, and what the report was before (a Micrometer timer with the shared buckets and the
 * bytes counter).
 * Run: {@code java -cp server/jmh/target/blockhaus-benchmarks.jar io.blockhaus.jmh.NbdRequestMetricsCpuProbe}
 */
public final class NbdRequestMetricsCpuProbe {
    private static final int ROUNDS = 12;
    private static final int WARMUP_ROUNDS = 2;
    private static final int CALLS = 5_000_000;

    private NbdRequestMetricsCpuProbe() {
    }

    private static final String[] MODES = {
        "report (per-connection cell, bytes counter)",
        "report with its two clock reads",
        "the two clock reads alone",
        "before: Micrometer timer (same buckets) and bytes counter",
    };

    public static void main(String[] args) {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        NbdEvents.Requests connection = new NbdMeters(registry, RequestHistograms.register(registry)).connected("bench");
        Timer timer = LatencyBuckets.timer("bench.requests").register(registry);
        Counter out = Counter.builder("bench.bytes").register(registry);
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long sink = 0;
        for (int mode = 0; mode < MODES.length; mode++) {
            double best = Double.MAX_VALUE;
            for (int round = 0; round < ROUNDS; round++) {
                long t0 = mx.getCurrentThreadCpuTime();
                // One loop with a switch whose branch never changes within a round: every mode
                // is inlined alike (lambdas would make the call site megamorphic for the later ones).
                for (int i = 0; i < CALLS; i++) {
                    switch (mode) {
                        case 0 -> connection.answered(NbdCommand.READ, NbdError.OK, 4000 + (i & 1023), 0, 0, 4096);
                        case 1 -> {
                            long started = System.nanoTime();
                            long now = System.nanoTime();
                            connection.answered(NbdCommand.READ, NbdError.OK, now - started, now, 0, 4096);
                        }
                        case 2 -> {
                            long started = System.nanoTime();
                            sink += System.nanoTime() - started;
                        }
                        default -> {
                            timer.record(4000 + (i & 1023), TimeUnit.NANOSECONDS);
                            out.increment(4096);
                        }
                    }
                }
                long t1 = mx.getCurrentThreadCpuTime();
                if (round >= WARMUP_ROUNDS) {
                    best = Math.min(best, (t1 - t0) / (double) CALLS);
                }
            }
            System.out.printf("%-60s %6.1f ns CPU per call%n", MODES[mode], best);
        }
        registry.close();
        if (sink == 42) {
            System.out.println(); // keeps the clock reads alive
        }
    }
}
