package io.blockhaus.monitoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.blockhaus.server.FileStoreFactory;
import io.blockhaus.server.InProcessServe;
import io.blockhaus.server.StoreFactory;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real Prometheus scraping a live Blockhaus under lock contention (issue 14): a server in this
 * JVM (every port ephemeral, the metrics port too) with a volume that NBD readers, writers and
 * trims share, and a volume whose disk is full once (so writeback fails once); Prometheus on a
 * free loopback port scraping it every second with the shipped rules. Once Prometheus reports
 * contended acquisitions and a lock-wait histogram for the volume, every query of every panel of
 * the shipped dashboard must return at least one series (so the dashboard cannot drift from the
 * names the server publishes), the volume template variable must list the volumes, and every
 * alert expression must evaluate against the live data (not fire: evaluate).
 *
 * <p>Skips with a message without Debian's prometheus or python3-libnbd (the load's client).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LivePrometheusTest {
    private static final String PYTHON = "/usr/bin/python3";
    private static final String VOLUME = "contended";
    private static final String FAILING = "failing";
    /** What Grafana would put for $__rate_interval at a 1 s scrape, with room for a loaded machine. */
    private static final String RATE_INTERVAL = "15s";
    private static final Duration LOAD_MAX = Duration.ofMinutes(3);
    private static final Duration SEEN_DEADLINE = Duration.ofMinutes(2);

    private InProcessServe server;
    private PrometheusProcess prometheus;
    private Process load;
    private Path dir;

    @BeforeAll
    void start(@TempDir Path tmp) throws Exception {
        Path prometheusBinary = MonitoringFiles.requireTool("prometheus");
        requirePythonLibnbd();
        dir = tmp;
        Path data = Files.createDirectories(tmp.resolve("data"));
        StoreFactory files = new FileStoreFactory();
        StoreFactory stores = (file, size, readOnly) -> file.getFileName().toString().equals(FAILING + ".img")
                ? new FailFirstWriteStore(files.open(file, size, readOnly)) : files.open(file, size, readOnly);
        server = InProcessServe.start(data, stores, "--export", "name=" + VOLUME + ",size=64M",
                "--export", "name=" + FAILING + ",size=1M", "--cache-size", "16M");
        prometheus = PrometheusProcess.start(prometheusBinary, Files.createDirectories(tmp.resolve("prometheus")),
                server.metricsTarget(), MonitoringFiles.dir().resolve("rules/blockhaus-alerts.yml"));
        long seed = System.nanoTime() & 0xffff;
        System.out.println("LivePrometheusTest: load seed " + seed);
        load = startLoad(tmp, seed);
        awaitUntil("Prometheus reports contended acquisitions, a lock-wait histogram for " + VOLUME
                + " and a writeback error on " + FAILING, () -> !prometheus.query(
                        "sum(blockhaus_lock_contended_total{job=\"blockhaus\",volume=\"" + VOLUME + "\"}) > 0").isEmpty()
                && !prometheus.query("sum(blockhaus_lock_wait_seconds_count{volume=\"" + VOLUME + "\"}) > 0").isEmpty()
                && !prometheus.query("sum(blockhaus_writeback_errors_total{volume=\"" + FAILING + "\"}) > 0").isEmpty());
        stopLoad();
        // Rates need two scrapes after the last change in their window: wait for two more scrapes.
        double scrapes = scrapeCount();
        awaitUntil("two more scrapes", () -> scrapeCount() >= scrapes + 2);
    }

    private static void requirePythonLibnbd() throws IOException, InterruptedException {
        assumeTrue(Files.isExecutable(Path.of(PYTHON)), PYTHON + " not found: install python3-libnbd; test skipped");
        Process p = new ProcessBuilder(PYTHON, "-c", "import nbd").redirectErrorStream(true).start();
        assumeTrue(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0,
                PYTHON + " cannot import nbd: install python3-libnbd (the load's NBD client); test skipped");
    }

    private Process startLoad(Path tmp, long seed) throws IOException {
        Path script = tmp.resolve("contend.py");
        try (InputStream in = LivePrometheusTest.class.getResourceAsStream("contend.py")) {
            Files.write(script, in.readAllBytes());
        }
        String nbd = "nbd://127.0.0.1:" + server.nbdPort() + "/";
        return new ProcessBuilder(PYTHON, script.toString(), nbd + VOLUME, nbd + FAILING, tmp.resolve("stop").toString(),
                Long.toString(LOAD_MAX.toSeconds()), Long.toString(seed)).redirectErrorStream(true)
                .redirectOutput(tmp.resolve("load.log").toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start();
    }

    private void stopLoad() throws IOException, InterruptedException {
        Files.writeString(dir.resolve("stop"), "");
        assertThat(load.waitFor(60, TimeUnit.SECONDS)).as("the load stops when asked").isTrue();
        String out = Files.readString(dir.resolve("load.log"), StandardCharsets.UTF_8);
        System.out.println("LivePrometheusTest: load " + out.strip());
        assertThat(load.exitValue()).as(out).isZero();
        JsonObject counts = JsonParser.parseString(out.strip().lines().reduce((a, b) -> b).orElseThrow()).getAsJsonObject();
        for (String kind : List.of("read", "write", "trim", "seq_read")) {
            assertThat(counts.get(kind).getAsLong()).as(kind + " in " + out).isPositive();
        }
        assertThat(counts.get("failing_flush").getAsString()).as("the failing volume's flush reports the disk-full writeback")
                .contains("ENOSPC");
    }

    private double scrapeCount() {
        JsonArray r = prometheus.query("count_over_time(up{job=\"blockhaus\"}[10m])");
        return r.isEmpty() ? 0 : value(r.get(0));
    }

    private void awaitUntil(String what, BooleanSupplier condition) {
        prometheus.await(what, SEEN_DEADLINE, condition);
    }

    private static double value(JsonElement sample) {
        return Double.parseDouble(sample.getAsJsonObject().getAsJsonArray("value").get(1).getAsString());
    }

    @AfterAll
    void stop() {
        if (load != null && load.isAlive()) {
            load.destroyForcibly();
        }
        if (prometheus != null) {
            prometheus.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void prometheusSeesContentionAndTheLockWaitHistogramOfTheVolume() {
        JsonArray contended = prometheus.query("sum by (mode) (blockhaus_lock_contended_total{volume=\"" + VOLUME + "\"})");
        assertThat(contended).isNotEmpty();
        assertThat(contended.asList().stream().mapToDouble(LivePrometheusTest::value).sum()).isPositive();
        // the histogram: buckets from 1 µs to 60 s, cumulative, +Inf equal to the count
        JsonArray buckets = prometheus.query("sum by (le) (blockhaus_lock_wait_seconds_bucket{volume=\"" + VOLUME + "\"})");
        assertThat(buckets.size()).as("lock-wait buckets").isGreaterThan(10);
        double inf = buckets.asList().stream().filter(b -> b.getAsJsonObject().getAsJsonObject("metric").get("le")
                .getAsString().equals("+Inf")).mapToDouble(LivePrometheusTest::value).findFirst().orElseThrow();
        double count = value(prometheus.query("sum(blockhaus_lock_wait_seconds_count{volume=\"" + VOLUME + "\"})").get(0));
        assertThat(inf).isEqualTo(count).isPositive();
        // both modes met: buffered I/O took ADD, trims took BLOCK
        assertThat(prometheus.query("blockhaus_lock_acquisitions_total{volume=\"" + VOLUME + "\"} > 0").asList())
                .extracting(s -> s.getAsJsonObject().getAsJsonObject("metric").get("mode").getAsString())
                .contains("add", "block");
        assertThat(prometheus.query("histogram_quantile(0.99, sum by (mode, le) (rate(blockhaus_lock_wait_seconds_bucket{volume=\""
                + VOLUME + "\"}[10m])))")).isNotEmpty();
    }

    @Test
    void everyQueryOfEveryDashboardPanelReturnsASeries() {
        List<MonitoringFiles.PanelQuery> queries = MonitoringFiles.dashboardQueries();
        assertThat(queries).isNotEmpty();
        List<String> empty = new ArrayList<>();
        for (MonitoringFiles.PanelQuery q : queries) {
            String expr = substitute(q.expr());
            if (prometheus.query(expr).isEmpty()) {
                empty.add(q.panel() + " [" + q.refId() + "]: " + expr);
            }
        }
        assertThat(empty).as("dashboard queries with no series from a live server").isEmpty();
    }

    /** Grafana's substitutions with every volume selected ("All" is the variable's allValue, .*). */
    private static String substitute(String expr) {
        String s = expr.replace("$__rate_interval", RATE_INTERVAL).replace("$__interval", RATE_INTERVAL)
                .replace("${volume}", ".*").replace("$volume", ".*");
        assertThat(s).as("a variable the test does not know in " + expr).doesNotContain("$");
        return s;
    }

    @Test
    void theVolumeVariableListsTheServedVolumes() {
        JsonArray values = prometheus.api("/api/v1/label/volume/values?match[]=blockhaus_volume_ready").getAsJsonArray();
        assertThat(values.asList()).extracting(JsonElement::getAsString).contains(VOLUME, FAILING);
    }

    @Test
    void everyAlertExpressionEvaluatesOnLiveDataAndNoneIsFiringOnAHealthyServer() {
        List<String[]> alerts = MonitoringFiles.alertExpressions();
        assertThat(alerts).hasSize(6);
        for (String[] alert : alerts) {
            prometheus.query(alert[1]); // fails unless Prometheus accepts and evaluates it
        }
        awaitUntil("every rule evaluated", () -> rules().stream().allMatch(r -> !r.get("lastEvaluation").getAsString()
                .startsWith("0001")));
        for (JsonObject rule : rules()) {
            assertThat(rule.get("health").getAsString()).as(rule.toString()).isEqualTo("ok");
        }
        // up == 1 and every volume ready: those two cannot fire (the others may, for a moment, under this load)
        assertThat(prometheus.query("ALERTS{alertname=~\"BlockhausTargetDown|BlockhausVolumeNotReady\"}")).isEmpty();
    }

    private List<JsonObject> rules() {
        List<JsonObject> out = new ArrayList<>();
        for (JsonElement g : prometheus.api("/api/v1/rules").getAsJsonObject().getAsJsonArray("groups")) {
            g.getAsJsonObject().getAsJsonArray("rules").forEach(r -> out.add(r.getAsJsonObject()));
        }
        return out;
    }
}
