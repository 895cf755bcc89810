package io.blockhaus.monitoring;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The shipped Prometheus files pass Prometheus's own checks, and every meter name the rules and
 * the dashboard use is in the catalogue (docs/metrics.md). LivePrometheusTest then shows the names
 * are also the ones a running server publishes.
 */
class PromtoolTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private static ToolRun promtool(Path cwd, String... args) {
        List<String> command = new ArrayList<>(List.of(MonitoringFiles.requireTool("promtool").toString()));
        command.addAll(List.of(args));
        return ToolRun.run(cwd, TIMEOUT, command.toArray(String[]::new));
    }

    @Test
    void configurationIsValidAndLoadsTheRules() {
        ToolRun r = promtool(MonitoringFiles.dir(), "check", "config", "prometheus.yml");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.output()).as(r.toString()).contains("SUCCESS: 1 rule files found").contains("SUCCESS: 6 rules found");
    }

    @Test
    void rulesAreValid() {
        ToolRun r = promtool(MonitoringFiles.dir().resolve("rules"), "check", "rules", "blockhaus-alerts.yml");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.output()).as(r.toString()).contains("SUCCESS: 6 rules found");
    }

    @Test
    void ruleUnitTestsPass() {
        ToolRun r = promtool(MonitoringFiles.dir().resolve("rules"), "test", "rules", "blockhaus-alerts.test.yml");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.output()).as(r.toString()).contains("SUCCESS");
    }

    @Test
    void everyAlertHasAUnitTestThatFiresIt() {
        String tests = MonitoringFiles.read(MonitoringFiles.dir().resolve("rules/blockhaus-alerts.test.yml"));
        List<String[]> alerts = MonitoringFiles.alertExpressions();
        assertThat(alerts).hasSize(6);
        for (String[] alert : alerts) {
            assertThat(tests).as("a test of " + alert[0]).contains("alertname: " + alert[0]);
        }
    }

    @Test
    void rulesAndDashboardUseOnlyCatalogueNames() {
        Set<String> catalogue = MonitoringFiles.catalogue();
        assertThat(catalogue).contains("blockhaus_lock_wait_seconds_bucket", "blockhaus_lock_contended_total",
                "blockhaus_volume_ready");
        for (String[] alert : MonitoringFiles.alertExpressions()) {
            assertThat(catalogue).as("names of alert " + alert[0]).containsAll(MonitoringFiles.metricNames(alert[1]));
        }
        List<MonitoringFiles.PanelQuery> queries = MonitoringFiles.dashboardQueries();
        assertThat(queries).hasSizeGreaterThanOrEqualTo(10);
        for (MonitoringFiles.PanelQuery q : queries) {
            assertThat(MonitoringFiles.metricNames(q.expr())).as("names of " + q).isNotEmpty();
            assertThat(catalogue).as("names of " + q).containsAll(MonitoringFiles.metricNames(q.expr()));
        }
    }
}
