package io.blockhaus.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.engine.Engine;
import io.blockhaus.engine.EngineConfig;
import io.blockhaus.engine.ForwardingStore;
import io.blockhaus.engine.Handle;
import io.blockhaus.engine.Volume;
import io.blockhaus.engine.VolumeConfig;
import io.blockhaus.engine.cache.NonBlockingGiveUps;
import io.blockhaus.engine.lock.LockListener;
import io.blockhaus.engine.store.MemoryStore;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The event loop's give-ups ({@code blockhaus.cache.nonblocking.giveups}, docs/metrics.md): one
 * series per reason from the start, at 0, and after reads made to give up through the engine's
 * public non-blocking path, the scrape shows exactly those under their reasons.
 */
class NonBlockingGiveUpMetricsTest {
    private static final int PAGE = 4096;
    private static final long SIZE = 1 << 20;
    private static final String SERIES = "blockhaus_cache_nonblocking_giveups_total";

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private Engine engine;

    @AfterEach
    void tearDown() {
        if (engine != null) {
            engine.close();
        }
    }

    /** A volume whose store never has its bytes in memory (as tmpfs and s3 answer): every miss gives up. */
    private Volume open() {
        engine = new Engine(EngineConfig.withCache(SIZE).withBackgroundThreads(false));
        EngineMetrics metrics = new EngineMetrics(registry);
        metrics.bindEngine(engine);
        ForwardingStore notInMemory = new ForwardingStore(new MemoryStore(SIZE)) {
            @Override
            public boolean readIfInMemory(long offset, ByteBuffer[] dsts) {
                return false;
            }
        };
        return metrics.open(engine, VolumeConfig.of("v1"), notInMemory, LockListener.NONE);
    }

    /** The value of the reason's series in a Prometheus text scrape; fails if the series is missing. */
    private static double value(String scrape, NonBlockingGiveUps.Reason reason) {
        String prefix = SERIES + "{reason=\"" + reason.label() + "\"} ";
        return scrape.lines().filter(l -> l.startsWith(prefix)).mapToDouble(l -> Double.parseDouble(l.substring(
                prefix.length()))).findFirst().orElseThrow(() -> new AssertionError("no " + prefix + "in\n" + scrape));
    }

    @Test
    void everyReasonIsASeriesAndAGiveUpIsCountedUnderItsReason() {
        Volume v = open();
        String before = registry.scrape();
        for (NonBlockingGiveUps.Reason r : NonBlockingGiveUps.Reason.values()) {
            assertThat(value(before, r)).as("the %s series before any give-up", r).isZero();
        }

        try (Handle h = v.open()) {
            assertThat(h.fastPaths().readWithoutWaiting(0, ByteBuffer.allocate(PAGE)))
                    .as("a one-page miss of bytes not in memory").isFalse();
            assertThat(h.fastPaths().readWithoutWaiting(8 * PAGE, ByteBuffer.allocate(PAGE))).isFalse();
            assertThat(h.fastPaths().readWithoutWaiting(64 * PAGE, ByteBuffer.allocate(32 * PAGE)))
                    .as("32 absent pages: more than one try may fill").isFalse();
            h.read(0, ByteBuffer.allocate(PAGE)); // the worker's read serves it, and counts nothing
        }

        String after = registry.scrape();
        for (NonBlockingGiveUps.Reason r : NonBlockingGiveUps.Reason.values()) {
            double expected = switch (r) {
                case NOT_IN_MEMORY -> 2;
                case FILL_BUDGET -> 1;
                default -> 0;
            };
            assertThat(value(after, r)).as("give-ups for %s", r).isEqualTo(expected);
        }
        assertThat(engine.nonBlockingGiveUps().total()).as("the scrape reads the engine's counts").isEqualTo(3);
    }
}
