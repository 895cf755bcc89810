package io.blockhaus.monitoring;

import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.server.InProcessServe;
import io.blockhaus.tls.TestPki;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Debian's real Prometheus scraping {@code serve --metrics-tls --tls-verify-peer} with its own
 * client certificate, the {@code tls_config} of deploy/monitoring/README.md: the target is up and
 * the server's meters arrive. Skips with a message without prometheus or certtool.
 */
class LivePrometheusTlsTest {

    @Test
    void prometheusScrapesOverMutualTls(@TempDir Path tmp) throws Exception {
        Path prometheusBinary = MonitoringFiles.requireTool("prometheus");
        TestPki pki = TestPki.create(tmp.resolve("ca"), "Test CA");
        TestPki.Issued server = pki.server("server");
        TestPki.Issued scraper = pki.client("prometheus");
        try (InProcessServe serve = InProcessServe.start(Files.createDirectories(tmp.resolve("data")),
                "--export", "name=scraped,size=1M", "--metrics-tls", "--tls-cert", server.cert().toString(),
                "--tls-key", server.key().toString(), "--tls-ca", pki.caCert().toString(), "--tls-verify-peer")) {
            Path dir = Files.createDirectories(tmp.resolve("prometheus"));
            int port = PrometheusProcess.freeLoopbackPort();
            Path config = dir.resolve("prometheus.yml");
            Files.writeString(config, """
                    global:
                      scrape_interval: 1s
                    scrape_configs:
                      - job_name: blockhaus
                        scheme: https
                        tls_config:
                          ca_file: '%s'
                          cert_file: '%s'
                          key_file: '%s'
                        static_configs:
                          - targets: ['%s']
                    """.formatted(pki.caCert(), scraper.cert(), scraper.key(), serve.metricsTarget()));
            try (PrometheusProcess prometheus = PrometheusProcess.launch(dir, port, prometheusBinary.toString(),
                    "--config.file=" + config, "--storage.tsdb.path=" + dir.resolve("data"),
                    "--web.listen-address=127.0.0.1:" + port, "--log.level=warn")) {
                prometheus.await("the blockhaus target up over mutual TLS, its volume gauge scraped", Duration.ofMinutes(1),
                        () -> !prometheus.query("up{job=\"blockhaus\"} == 1").isEmpty()
                                && !prometheus.query("blockhaus_volume_ready{volume=\"scraped\"} == 1").isEmpty());
                assertThat(prometheus.query("up{job=\"blockhaus\"}").get(0).getAsJsonObject().getAsJsonObject("metric")
                        .get("instance").getAsString()).isEqualTo(serve.metricsTarget());
            }
        }
    }
}
