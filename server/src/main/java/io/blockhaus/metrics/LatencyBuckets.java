package io.blockhaus.metrics;

import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The histogram buckets every Blockhaus timer publishes: 1, 2.5 and 5 times each power of ten
 * from 1 µs to 25 s, then 60 s (24 bounds, 25 buckets with +Inf).
 *
 * <p>Why fixed bounds and not {@code publishPercentileHistogram()}: Micrometer 1.17's generated
 * buckets come to 118 bounds between 1 µs and 60 s (its minimum and maximum expected values set
 * so), so each timer would cost some 120 Prometheus series instead of 25, and a server has six
 * timers per volume (lock wait and hold per mode, memory wait, writeback run): about 720 series
 * per volume against 150. The 1-2.5-5 ladder keeps {@code histogram_quantile}'s interpolation error within
 * one bucket (at most 2.5x, linear inside it), which is what a p99 lock-wait alert needs to tell
 * 10 µs from 1 ms from 1 s, and the bounds are round numbers an alert rule can name
 * ({@code le="0.01"}). Every timer here shares them, so dashboards aggregate across volumes,
 * modes and servers.
 */
public final class LatencyBuckets {
    private LatencyBuckets() {
    }

    /** The bounds, smallest first (callers must not change the array). */
    static final Duration[] BOUNDS = bounds();

    private static Duration[] bounds() {
        List<Duration> b = new ArrayList<>();
        for (long decade = 1_000; decade <= 10_000_000_000L; decade *= 10) { // 1 µs .. 10 s, in ns
            b.add(Duration.ofNanos(decade));
            b.add(Duration.ofNanos(decade * 5 / 2));
            b.add(Duration.ofNanos(decade * 5));
        }
        b.removeLast(); // 50 s: 60 s is the last bound, as docs/metrics.md says
        b.add(Duration.ofSeconds(60));
        return b.toArray(Duration[]::new);
    }

    /** The bounds in nanoseconds, smallest first (a copy). */
    public static long[] boundsInNanos() {
        long[] nanos = new long[BOUNDS.length];
        for (int i = 0; i < nanos.length; i++) {
            nanos[i] = BOUNDS[i].toNanos();
        }
        return nanos;
    }

    /** The bounds in seconds as Prometheus shows them ({@code le}), computed as Micrometer does: nanos / 1e9. */
    public static double[] boundsInSeconds() {
        long[] nanos = boundsInNanos();
        double[] seconds = new double[nanos.length];
        for (int i = 0; i < nanos.length; i++) {
            seconds[i] = nanos[i] / 1e9;
        }
        return seconds;
    }

    /** A timer builder with the shared buckets and no client-side percentiles. */
    public static Timer.Builder timer(String name) {
        return Timer.builder(name)
                .serviceLevelObjectives(BOUNDS)
                .publishPercentileHistogram(false);
    }
}
