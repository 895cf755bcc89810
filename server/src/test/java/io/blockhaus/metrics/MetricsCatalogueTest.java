package io.blockhaus.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.engine.Engine;
import io.blockhaus.engine.EngineConfig;
import io.blockhaus.engine.Handle;
import io.blockhaus.engine.Volume;
import io.blockhaus.engine.VolumeConfig;
import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.lock.LockListener;
import io.blockhaus.engine.store.MemoryStore;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * docs/metrics.md is a contract with the alerting rules and the dashboard: every Prometheus name
 * its engine sections (lock, cache, readahead, writeback) list must appear in a scrape of a
 * bound volume, and the engine binding must publish no {@code blockhaus_} name it does not list.
 */
class MetricsCatalogueTest {
    private static final Path CATALOGUE = Path.of("..", "docs", "metrics.md");
    /** Prometheus names in the catalogue's tables, with {a,b} alternatives: {@code `blockhaus_x_{bucket,count}`}. */
    private static final Pattern PROM = Pattern.compile("\\|\\s*`(blockhaus_[a-z_]+?)(_\\{([a-z,]+)\\})?`\\s*\\|");
    private static final List<String> ENGINE_PREFIXES = List.of("blockhaus_lock_", "blockhaus_cache_",
            "blockhaus_readahead_", "blockhaus_writeback_");

    @Test
    void everyEngineNameOfTheCatalogueIsScrapedAndNothingElse() throws IOException {
        List<String> documented = engineNames(Files.readString(CATALOGUE));
        assertThat(documented).as("names parsed from %s", CATALOGUE).hasSizeGreaterThan(30);

        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        EngineMetrics metrics = new EngineMetrics(registry);
        try (Engine engine = new Engine(EngineConfig.withCache(1 << 20).withBackgroundThreads(false))) {
            metrics.bindEngine(engine);
            VolumeMetrics vm = metrics.bindVolume(VolumeConfig.of("v1"), LockListener.NONE);
            Volume v = engine.open(VolumeConfig.of("v1"), new MemoryStore(1 << 20), vm.listeners());
            vm.bindGauges(v);
            try (Handle h = v.open()) {
                h.read(0, ByteBuffer.allocate(4096));
                h.write(0, ByteBuffer.allocate(4096), true);
            }
            vm.listeners().writeback().failed(Errno.ENOSPC); // an error series exists only after an error
            vm.listeners().cache().memoryWaited(1_000);

            String scrape = registry.scrape();
            List<String> scraped = new ArrayList<>();
            for (String line : scrape.split("\n")) {
                if (!line.startsWith("#") && line.startsWith("blockhaus_")) {
                    scraped.add(line.substring(0, line.indexOf(line.contains("{") ? '{' : ' ')));
                }
            }
            for (String name : documented) {
                assertThat(scraped).as("documented %s in the scrape", name).contains(name);
            }
            for (String name : scraped) {
                assertThat(documented.contains(name) || name.endsWith("_max"))
                        .as("scraped %s is in the catalogue (timers' _max aside)", name).isTrue();
            }
            assertThat(scrape).contains("blockhaus_lock_wait_seconds_bucket{")
                    .contains("le=\"1.0E-6\"").contains("le=\"60.0\"")
                    .contains("blockhaus_writeback_errors_total{errno=\"ENOSPC\",volume=\"v1\"} 1")
                    .contains("blockhaus_cache_dirty_limit_bytes{level=\"hard\"}");
        }
    }

    private static List<String> engineNames(String markdown) {
        List<String> names = new ArrayList<>();
        Matcher m = PROM.matcher(markdown);
        while (m.find()) {
            String base = m.group(1);
            if (ENGINE_PREFIXES.stream().noneMatch(base::startsWith)) {
                continue;
            }
            if (m.group(3) == null) {
                names.add(base);
            } else {
                for (String suffix : m.group(3).split(",")) {
                    names.add(base + "_" + suffix);
                }
            }
        }
        return names;
    }
}
