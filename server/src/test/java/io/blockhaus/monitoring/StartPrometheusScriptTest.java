package io.blockhaus.monitoring;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonElement;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/monitoring/start-prometheus.sh starts Debian's Prometheus with the shipped configuration:
 * it answers on the address given, its data goes to the directory given, it loads the six
 * alerting rules and scrapes job blockhaus at serve's default metrics address.
 */
class StartPrometheusScriptTest {

    @Test
    void startsPrometheusOnTheShippedConfiguration(@TempDir Path tmp) throws Exception {
        MonitoringFiles.requireTool("prometheus");
        int port = PrometheusProcess.freeLoopbackPort();
        Path data = tmp.resolve("tsdb");
        try (PrometheusProcess p = PrometheusProcess.launch(tmp, port,
                MonitoringFiles.dir().resolve("start-prometheus.sh").toString(), "--listen", "127.0.0.1:" + port,
                "--data", data.toString())) {
            List<String> rules = p.api("/api/v1/rules").getAsJsonObject().getAsJsonArray("groups").asList().stream()
                    .flatMap(g -> g.getAsJsonObject().getAsJsonArray("rules").asList().stream())
                    .map(r -> r.getAsJsonObject().get("name").getAsString()).toList();
            assertThat(rules).containsExactlyInAnyOrder("BlockhausLockWaitP99High", "BlockhausLockEdeadlock",
                    "BlockhausWritebackErrors", "BlockhausCacheDirtyAtHardLimit", "BlockhausVolumeNotReady",
                    "BlockhausTargetDown");
            p.await("a scrape target", Duration.ofSeconds(60), () -> !targets(p).isEmpty());
            List<JsonElement> targets = targets(p);
            assertThat(targets).extracting(t -> t.getAsJsonObject().getAsJsonObject("labels").get("job").getAsString()
                    + " " + t.getAsJsonObject().get("scrapeUrl").getAsString())
                    .containsExactly("blockhaus http://127.0.0.1:9464/metrics");
            assertThat(p.log()).contains("Prometheus: http://127.0.0.1:" + port + "/");
            assertThat(Files.isDirectory(data)).as("its own data directory").isTrue();
        }
    }

    private static List<JsonElement> targets(PrometheusProcess p) {
        return p.api("/api/v1/targets").getAsJsonObject().getAsJsonArray("activeTargets").asList();
    }
}
