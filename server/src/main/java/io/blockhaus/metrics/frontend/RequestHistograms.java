package io.blockhaus.metrics.frontend;

import io.blockhaus.metrics.LatencyBuckets;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.Exemplars;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricMetadata;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.ReentrantLock;

/**
 * {@code blockhaus.requests} of both front ends: the Prometheus histogram
 * {@code blockhaus_requests_seconds_{bucket,count,sum}} and the gauge
 * {@code blockhaus_requests_seconds_max}, exactly as a Micrometer timer with the shared
 * {@link LatencyBuckets} shows them (same names, labels, bounds and help), but collected from
 * {@link LatencyCell}s at scrape time instead of recorded into a shared timer per request.
 *
 * <p>Why not a Micrometer timer: its {@code record} costs 73 ns on one thread (shared adders, an
 * atomic bucket array, a wall-clock read for the max), and an NBD cached read is 3.4 µs of server
 * CPU; metrics cost 5 % there (docs/benchmarks/metrics-cost-2026-12-05.md). Micrometer has no
 * timer that takes counts in batches, so this family is registered with the Prometheus registry
 * underneath Micrometer's ({@link PrometheusMeterRegistry#getPrometheusRegistry()}): one scrape,
 * one endpoint, both formats, and the registry refuses a Micrometer meter of the same name.
 *
 * <p>Series: one per (frontend, volume, op, outcome), created the first time that set happens.
 * Each holds live cells (an NBD connection's, one per series it used; one shared cell for gRPC)
 * and the retired totals of closed connections. Folding a closed cell into the totals and dropping
 * it must be one step as seen by a scrape, or a scrape between the two would count it twice or
 * not at all (a Prometheus counter going down reads as a reset): both happen under {@link #lock}.
 * A closing connection only tries the lock (an event loop never waits on one); if a scrape holds
 * it, that scrape or the next folds the cell, which it recognises by {@link LatencyCell#isClosed}.
 */
public final class RequestHistograms implements MultiCollector {
    static final String NAME = "blockhaus_requests_seconds";
    static final String MAX_NAME = NAME + "_max";
    private static final String HELP = "requests by op and outcome";
    private static final double[] BOUNDS = withInfinity(LatencyBuckets.boundsInSeconds());

    private final ConcurrentHashMap<Key, Series> series = new ConcurrentHashMap<>();
    private final ReentrantLock lock = new ReentrantLock(); // guards every Series.retired and the removal of closed cells

    private RequestHistograms() {
    }

    /** A new family registered with {@code registry}'s Prometheus registry (once per registry). */
    public static RequestHistograms register(PrometheusMeterRegistry registry) {
        RequestHistograms h = new RequestHistograms();
        registry.getPrometheusRegistry().register(h);
        return h;
    }

    private record Key(String frontend, String volume, String op, String outcome) {
    }

    /** What a scrape holds (tests hold it to play a scrape in progress while a connection closes). */
    ReentrantLock scrapeLock() {
        return lock;
    }

    /** The series of these tags, created at first use. */
    Series series(String frontend, String volume, String op, String outcome) {
        return series.computeIfAbsent(new Key(frontend, volume, op, outcome), Series::new);
    }

    /** One label set's cells: live ones and what closed ones left. */
    final class Series {
        private final Labels labels;
        private final Queue<LatencyCell> live = new ConcurrentLinkedQueue<>();
        private final LatencyCell shared = new LatencyCell();
        private final long[] retired = new long[LatencyCell.LENGTH]; // under lock

        private Series(Key k) {
            labels = Labels.of("frontend", k.frontend(), "volume", k.volume(), "op", k.op(), "outcome", k.outcome());
            live.add(shared);
        }

        /** A cell for one confined writer (an NBD connection's event loop); {@link #retire} it when done. */
        LatencyCell newCell() {
            LatencyCell c = new LatencyCell();
            live.add(c);
            return c;
        }

        /** Records from any thread (gRPC). */
        void recordConcurrent(long nanos, long endedAt) {
            shared.recordConcurrent(nanos, endedAt);
        }

        /** {@code cell}'s writer is done: its counts go to the retired totals now, or at the next scrape. */
        void retire(LatencyCell cell) {
            cell.close();
            if (lock.tryLock()) {
                try {
                    if (live.remove(cell)) { // a scrape may have folded it already
                        cell.addTo(retired);
                    }
                } finally {
                    lock.unlock();
                }
            }
        }

        /** Under lock: the series' totals now; closed cells are folded into the retired totals and dropped. */
        private long[] totals() {
            long[] totals = retired.clone();
            for (Iterator<LatencyCell> it = live.iterator(); it.hasNext();) {
                LatencyCell c = it.next();
                boolean closed = c.isClosed(); // read before the slots: then they are final
                c.addTo(totals);
                if (closed) {
                    c.addTo(retired);
                    it.remove();
                }
            }
            return totals;
        }
    }

    @Override
    public MetricSnapshots collect() {
        if (series.isEmpty()) {
            return MetricSnapshots.of();
        }
        List<HistogramSnapshot.HistogramDataPointSnapshot> histograms = new ArrayList<>();
        List<GaugeSnapshot.GaugeDataPointSnapshot> maxima = new ArrayList<>();
        long nowEpoch = LatencyCell.epochOf(System.nanoTime());
        lock.lock();
        try {
            for (Series s : series.values()) {
                long[] t = s.totals();
                // The model takes each bucket's own count (it accumulates them for the text) and
                // derives _count from them: _count is the +Inf bucket by construction.
                histograms.add(new HistogramSnapshot.HistogramDataPointSnapshot(
                        ClassicHistogramBuckets.of(BOUNDS, Arrays.copyOf(t, LatencyCell.BUCKETS)),
                        t[LatencyCell.SUM] / 1e9, s.labels, Exemplars.EMPTY, 0L));
                maxima.add(new GaugeSnapshot.GaugeDataPointSnapshot(LatencyCell.maxOf(t, nowEpoch) / 1e9, s.labels, null));
            }
        } finally {
            lock.unlock();
        }
        return MetricSnapshots.of(new HistogramSnapshot(new MetricMetadata(NAME, HELP), histograms),
                new GaugeSnapshot(new MetricMetadata(MAX_NAME, HELP), maxima));
    }

    @Override
    public List<String> getPrometheusNames() {
        return List.of(NAME, MAX_NAME);
    }

    private static double[] withInfinity(double[] bounds) {
        double[] b = Arrays.copyOf(bounds, bounds.length + 1);
        b[bounds.length] = Double.POSITIVE_INFINITY;
        return b;
    }
}
