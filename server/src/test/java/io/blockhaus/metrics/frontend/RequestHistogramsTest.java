package io.blockhaus.metrics.frontend;

import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.nbd.NbdEvents;
import io.blockhaus.nbd.codec.NbdCommand;
import io.blockhaus.nbd.codec.NbdError;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code blockhaus.requests} aggregated per connection and folded at scrape time: a scrape shows
 * exactly the requests recorded, in the buckets their latencies fall in, with their sum and max;
 * a closed connection's counts stay (folded once, never twice, whether the close or a scrape
 * folds them); and scrapes taken while connections record and close never see a count go down.
 */
class RequestHistogramsTest {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final RequestHistograms histograms = RequestHistograms.register(registry);
    private final NbdMeters nbd = new NbdMeters(registry, histograms);

    @AfterEach
    void close() {
        registry.close();
    }

    private ScrapedRequests scrape() {
        return ScrapedRequests.of(registry);
    }

    private static void read(NbdEvents.Requests c, long nanos) {
        c.answered(NbdCommand.READ, NbdError.OK, nanos, System.nanoTime(), 0, 4096);
    }

    @Test
    void aScrapeShowsExactlyTheRequestsInTheirBuckets() {
        NbdEvents.Requests c = nbd.connected("v");
        for (int i = 0; i < 7; i++) {
            read(c, 30_000); // 30 µs: in (25 µs, 50 µs]
        }
        for (int i = 0; i < 3; i++) {
            read(c, 2_500); // exactly a bound: counted in that bucket (le)
        }
        read(c, 90_000_000_000L); // 90 s: only +Inf
        c.answered(NbdCommand.WRITE, NbdError.EPERM, 1_000, System.nanoTime(), 4096, 0);
        ScrapedRequests s = scrape();
        assertThat(s.count("nbd", "v", "read", "ok")).isEqualTo(11);
        assertThat(s.bucket("nbd", "v", "read", "ok", "1.0E-6")).isZero();
        assertThat(s.bucket("nbd", "v", "read", "ok", "2.5E-6")).isEqualTo(3);
        assertThat(s.bucket("nbd", "v", "read", "ok", "2.5E-5")).isEqualTo(3);
        assertThat(s.bucket("nbd", "v", "read", "ok", "5.0E-5")).isEqualTo(10);
        assertThat(s.bucket("nbd", "v", "read", "ok", "60.0")).isEqualTo(10);
        assertThat(s.bucket("nbd", "v", "read", "ok", "+Inf")).isEqualTo(11);
        assertThat(s.sum("nbd", "v", "read", "ok")).isCloseTo((7 * 30_000 + 3 * 2_500 + 90_000_000_000L) / 1e9,
                org.assertj.core.data.Offset.offset(1e-9));
        assertThat(s.max("nbd", "v", "read", "ok")).isEqualTo(90.0);
        assertThat(s.count("nbd", "v", "write", "EPERM")).isEqualTo(1);
        assertThat(s.bucket("nbd", "v", "write", "EPERM", "1.0E-6")).isEqualTo(1);
        assertThat(s.series()).hasSize(2);
        // Every bound of docs/metrics.md: 1, 2.5 and 5 per decade from 1 µs, up to 25 s, then 60 s.
        String text = registry.scrape();
        for (String le : List.of("1.0E-6", "2.5E-6", "5.0E-6", "1.0E-5", "1.0E-4", "0.001", "0.01", "0.1", "1.0",
                "10.0", "25.0", "60.0", "+Inf")) {
            assertThat(text).contains(ScrapedRequests.labels("nbd", "v", "read", "ok") + ",le=\"" + le + "\"}");
        }
        assertThat(text.lines().filter(l -> l.startsWith("blockhaus_requests_seconds_bucket{frontend=\"nbd\",op=\"read\"")))
                .hasSize(25);
    }

    @Test
    void connectionsOfOneExportAddUpAndAClosedOneIsNotLost() {
        NbdEvents.Requests a = nbd.connected("v");
        NbdEvents.Requests b = nbd.connected("v");
        for (int i = 0; i < 5; i++) {
            read(a, 10_000);
        }
        for (int i = 0; i < 4; i++) {
            read(b, 10_000);
        }
        assertThat(scrape().count("nbd", "v", "read", "ok")).isEqualTo(9);
        a.closed();
        assertThat(scrape().count("nbd", "v", "read", "ok")).isEqualTo(9);
        assertThat(scrape().count("nbd", "v", "read", "ok")).isEqualTo(9); // folded once, not at every scrape
        read(b, 10_000);
        b.closed();
        NbdEvents.Requests c = nbd.connected("v");
        read(c, 10_000);
        assertThat(scrape().count("nbd", "v", "read", "ok")).isEqualTo(11);
        assertThat(scrape().bucket("nbd", "v", "read", "ok", "1.0E-5")).isEqualTo(11);
    }

    @Test
    void aCloseDuringAScrapeIsFoldedByTheNextScrapeOnce() throws Exception {
        NbdEvents.Requests a = nbd.connected("v");
        for (int i = 0; i < 3; i++) {
            read(a, 10_000);
        }
        histograms.scrapeLock().lock(); // a scrape in progress: the closing thread cannot fold
        try {
            CompletableFuture.runAsync(a::closed).get(); // another thread, as an event loop would be
        } finally {
            histograms.scrapeLock().unlock();
        }
        assertThat(scrape().count("nbd", "v", "read", "ok")).isEqualTo(3);
        assertThat(scrape().count("nbd", "v", "read", "ok")).isEqualTo(3);
    }

    @Test
    void aReportAfterTheCloseIsStillCounted() {
        NbdEvents.Requests a = nbd.connected("v");
        read(a, 10_000);
        a.closed();
        read(a, 10_000); // the handler does not do this; the binding must not lose it if one did
        assertThat(scrape().count("nbd", "v", "read", "ok")).isEqualTo(2);
    }

    @Test
    void scrapesWhileConnectionsRecordAndCloseNeverGoDownAndEndExact() throws Exception {
        long seed = System.nanoTime();
        System.out.println("RequestHistogramsTest seed " + seed);
        Random random = new Random(seed);
        int writers = 2;
        int perWriter = 20_000;
        List<Thread> threads = new ArrayList<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        for (int w = 0; w < writers; w++) {
            long writerSeed = random.nextLong();
            threads.add(Thread.ofPlatform().start(() -> {
                Random r = new Random(writerSeed);
                NbdEvents.Requests c = nbd.connected("v");
                for (int i = 0; i < perWriter; i++) {
                    read(c, 10_000); // all in (5 µs, 10 µs]
                    if (r.nextInt(500) == 0) { // a reconnect: the old connection's cells are folded
                        c.closed();
                        c = nbd.connected("v");
                    }
                }
                c.closed();
            }));
        }
        AtomicBoolean done = new AtomicBoolean();
        Thread scraper = Thread.ofPlatform().start(() -> {
            long last = 0;
            while (!done.get()) {
                ScrapedRequests s = scrape();
                long count = s.count("nbd", "v", "read", "ok");
                long inf = s.bucket("nbd", "v", "read", "ok", "+Inf");
                long bucket = s.bucket("nbd", "v", "read", "ok", "1.0E-5");
                if (count < last || (count > 0 && (inf != count || bucket != count))) {
                    failure.compareAndSet(null, new AssertionError("scrape went from " + last + " to " + count
                            + " (+Inf " + inf + ", le=1e-5 " + bucket + ")"));
                }
                last = count;
            }
        });
        for (Thread t : threads) {
            t.join();
        }
        done.set(true);
        scraper.join();
        assertThat(failure.get()).isNull();
        assertThat(scrape().count("nbd", "v", "read", "ok")).isEqualTo((long) writers * perWriter);
        assertThat(scrape().sum("nbd", "v", "read", "ok")).isCloseTo(writers * perWriter * 10_000 / 1e9,
                org.assertj.core.data.Offset.offset(1e-9));
    }

    @Test
    void concurrentWritersOfOneSeriesLoseNoCount() throws Exception {
        RequestHistograms.Series s = histograms.series("grpc", "v", "Read", "ok");
        int threads = 4;
        int each = 25_000;
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            long nanos = 1_000L * (t + 1); // 1, 2, 3, 4 µs
            ts.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < each; i++) {
                    s.recordConcurrent(nanos, System.nanoTime());
                }
            }));
        }
        for (Thread t : ts) {
            t.join();
        }
        ScrapedRequests scraped = scrape();
        assertThat(scraped.count("grpc", "v", "Read", "ok")).isEqualTo((long) threads * each);
        assertThat(scraped.bucket("grpc", "v", "Read", "ok", "1.0E-6")).isEqualTo(each);
        assertThat(scraped.bucket("grpc", "v", "Read", "ok", "2.5E-6")).isEqualTo(2L * each);
        assertThat(scraped.bucket("grpc", "v", "Read", "ok", "5.0E-6")).isEqualTo(4L * each);
        assertThat(scraped.sum("grpc", "v", "Read", "ok")).isCloseTo(each * 10_000L / 1e9, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(scraped.max("grpc", "v", "Read", "ok")).isEqualTo(4e-6);
    }

    @Test
    void theMaxCoversTheCurrentEpochAndTheTwoBefore() {
        long epochNanos = 1L << LatencyCell.EPOCH_SHIFT;
        long t0 = 5 * epochNanos; // the start of an epoch
        LatencyCell cell = new LatencyCell();
        cell.record(5_000_000, t0);                  // 5 ms in epoch 5
        cell.record(1_000_000, t0 + epochNanos);     // 1 ms in epoch 6
        cell.record(2_000_000, t0 + epochNanos + 1); // 2 ms in epoch 6: the larger stays
        long[] totals = new long[LatencyCell.LENGTH];
        cell.addTo(totals);
        long e = LatencyCell.epochOf(t0);
        assertThat(LatencyCell.maxOf(totals, e)).isEqualTo(5_000_000);
        assertThat(LatencyCell.maxOf(totals, e + 2)).isEqualTo(5_000_000);
        assertThat(LatencyCell.maxOf(totals, e + 3)).isEqualTo(2_000_000); // epoch 5 has aged out
        assertThat(LatencyCell.maxOf(totals, e + 4)).isZero();
        cell.record(3_000_000, t0 + 4 * epochNanos); // epoch 9 reuses epoch 5's slot: replaced, not maxed
        long[] later = new long[LatencyCell.LENGTH];
        cell.addTo(later);
        assertThat(LatencyCell.maxOf(later, e + 4)).isEqualTo(3_000_000);
    }

    @Test
    void bucketsAreUpperInclusive() {
        assertThat(LatencyCell.bucketOf(0)).isZero();
        assertThat(LatencyCell.bucketOf(1_000)).isZero();
        assertThat(LatencyCell.bucketOf(1_001)).isEqualTo(1);
        assertThat(LatencyCell.bucketOf(60_000_000_000L)).isEqualTo(23);
        assertThat(LatencyCell.bucketOf(60_000_000_001L)).isEqualTo(24); // +Inf
        assertThat(LatencyCell.BUCKETS).isEqualTo(25);
        // Against a plain search: every bound and its neighbours, every power of two, random latencies.
        long[] bounds = io.blockhaus.metrics.LatencyBuckets.boundsInNanos();
        List<Long> probes = new ArrayList<>(List.of(Long.MAX_VALUE, Long.MAX_VALUE - 1));
        for (long b : bounds) {
            probes.addAll(List.of(b - 1, b, b + 1));
        }
        for (int k = 0; k < 63; k++) {
            probes.addAll(List.of((1L << k) - 1, 1L << k, (1L << k) + 1));
        }
        long seed = System.nanoTime();
        System.out.println("bucketsAreUpperInclusive seed " + seed);
        Random random = new Random(seed);
        for (int i = 0; i < 100_000; i++) {
            probes.add(random.nextLong(1L << random.nextInt(1, 63)));
        }
        for (long n : probes) {
            int expected = 0;
            while (expected < bounds.length && n > bounds[expected]) {
                expected++;
            }
            assertThat(LatencyCell.bucketOf(n)).as("bucket of %d ns", n).isEqualTo(expected);
        }
    }
}
