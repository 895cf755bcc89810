package io.blockhaus.cli;

import java.util.Arrays;

/**
 * Every latency one worker saw for one kind, in nanoseconds: a bench runs seconds, not hours, so
 * keeping them all (a few MB at most) is simpler and more exact than a histogram. Not
 * thread-safe: one per worker and kind, merged when the workers are done.
 */
final class LatencySamples {
    private long[] nanos = new long[1024];
    private int count;
    private long errors;

    void add(long n) {
        if (count == nanos.length) {
            nanos = Arrays.copyOf(nanos, count * 2);
        }
        nanos[count++] = n;
    }

    void error() {
        errors++;
    }

    int count() {
        return count;
    }

    long errors() {
        return errors;
    }

    void addAll(LatencySamples other) {
        for (int i = 0; i < other.count; i++) {
            add(other.nanos[i]);
        }
        errors += other.errors;
    }

    /** The value below which {@code p} (0..1) of the samples lie (nearest rank); 0 without samples. */
    long percentile(double p) {
        if (count == 0) {
            return 0;
        }
        long[] sorted = Arrays.copyOf(nanos, count);
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(p * count);
        return sorted[Math.clamp(rank - 1, 0, count - 1)];
    }
}
