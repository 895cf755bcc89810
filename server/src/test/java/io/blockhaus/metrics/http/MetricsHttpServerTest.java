package io.blockhaus.metrics.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MetricsHttpServerTest {
    /** What Prometheus 2.x sends by default (scrape_protocols: OpenMetrics first). */
    private static final String PROMETHEUS_ACCEPT = "application/openmetrics-text;version=1.0.0;q=0.5,"
            + "application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2";

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final AtomicReference<String> notReady = new AtomicReference<>("the volumes are being opened");
    private final AtomicInteger scrapes = new AtomicInteger();
    private final HttpClient client = HttpClient.newHttpClient();
    private MetricsHttpServer server;

    @BeforeEach
    void start() {
        Counter.builder("blockhaus.test.things").register(registry).increment(3);
        server = MetricsHttpServer.start(new InetSocketAddress("127.0.0.1", 0), registry, scrapes::incrementAndGet,
                notReady::get);
    }

    @AfterEach
    void stop() {
        server.close();
        client.close();
        registry.close();
    }

    private HttpResponse<String> send(String method, String path, String accept) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.address().getPort() + path))
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (accept != null) {
            b.header("Accept", accept);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String path) throws Exception {
        return send("GET", path, null);
    }

    @Test
    void metricsArePrometheusTextWithoutAnAcceptHeader() throws Exception {
        HttpResponse<String> r = get("/metrics");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
        assertThat(r.body()).contains("# TYPE blockhaus_test_things_total counter", "blockhaus_test_things_total 3.0")
                .doesNotContain("# EOF");
        assertThat(scrapes).hasValue(1);
    }

    @Test
    void metricsAreOpenMetricsWhenTheScraperAsks() throws Exception {
        for (String accept : new String[] {PROMETHEUS_ACCEPT, "application/openmetrics-text; version=1.0.0"}) {
            HttpResponse<String> r = send("GET", "/metrics", accept);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("Content-Type"))
                    .hasValue("application/openmetrics-text; version=1.0.0; charset=utf-8");
            assertThat(r.body()).contains("# TYPE blockhaus_test_things counter", "blockhaus_test_things_total 3.0")
                    .endsWith("# EOF\n");
        }
    }

    @Test
    void negotiationFollowsQualities() {
        assertThat(ExpositionFormat.negotiate(null)).isEqualTo(ExpositionFormat.PROMETHEUS_TEXT);
        assertThat(ExpositionFormat.negotiate("*/*")).isEqualTo(ExpositionFormat.PROMETHEUS_TEXT);
        assertThat(ExpositionFormat.negotiate(PROMETHEUS_ACCEPT)).isEqualTo(ExpositionFormat.OPENMETRICS);
        assertThat(ExpositionFormat.negotiate("application/openmetrics-text;q=0, text/plain"))
                .isEqualTo(ExpositionFormat.PROMETHEUS_TEXT);
        assertThat(ExpositionFormat.negotiate("text/plain;q=0.9, application/openmetrics-text;q=0.5"))
                .isEqualTo(ExpositionFormat.PROMETHEUS_TEXT);
        assertThat(ExpositionFormat.negotiate("Application/OpenMetrics-Text; q=bad")).isEqualTo(ExpositionFormat.PROMETHEUS_TEXT);
        // Protobuf is not offered: a scraper asking for it first still gets text it can read.
        assertThat(ExpositionFormat.negotiate("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;"
                + "encoding=delimited,text/plain;version=0.0.4;q=0.5")).isEqualTo(ExpositionFormat.PROMETHEUS_TEXT);
    }

    @Test
    void healthzIsUpWhileReadyzSaysWhyNotUntilReady() throws Exception {
        assertThat(get("/healthz")).satisfies(r -> {
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("ok\n");
        });
        assertThat(get("/readyz")).satisfies(r -> {
            assertThat(r.statusCode()).isEqualTo(503);
            assertThat(r.body()).isEqualTo("not ready: the volumes are being opened\n");
        });
        notReady.set(null);
        assertThat(get("/readyz")).satisfies(r -> {
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("ready\n");
        });
        notReady.set("volume a is closed");
        assertThat(get("/readyz").statusCode()).isEqualTo(503);
    }

    @Test
    void unknownPathsAre404AndOtherMethods405() throws Exception {
        for (String path : new String[] {"/", "/metricsx", "/metrics/", "/health", "/readyz/x"}) {
            assertThat(get(path).statusCode()).as(path).isEqualTo(404);
        }
        for (String method : new String[] {"POST", "PUT", "DELETE", "OPTIONS"}) {
            HttpResponse<String> r = send(method, "/metrics", null);
            assertThat(r.statusCode()).as(method).isEqualTo(405);
            assertThat(r.headers().firstValue("Allow")).hasValue("GET, HEAD");
        }
        assertThat(scrapes).hasValue(0);
    }

    @Test
    void headAnswersHeadersWithoutABodyOrAScrape() throws Exception {
        HttpResponse<String> health = send("HEAD", "/healthz", null);
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.headers().firstValue("Content-Length")).hasValue("3");
        assertThat(health.body()).isEmpty();
        HttpResponse<String> metrics = send("HEAD", "/metrics", PROMETHEUS_ACCEPT);
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.headers().firstValue("Content-Type")).hasValueSatisfying(
                t -> assertThat(t).startsWith("application/openmetrics-text"));
        assertThat(metrics.body()).isEmpty();
        assertThat(send("HEAD", "/readyz", null).statusCode()).isEqualTo(503);
        assertThat(scrapes).hasValue(0);
    }

    @Test
    void closeStopsListening() throws Exception {
        int port = server.address().getPort();
        server.close();
        server.close(); // idempotent
        try (var s = new java.net.Socket()) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> s.connect(new InetSocketAddress("127.0.0.1", port), 2000))
                    .isInstanceOf(java.net.ConnectException.class);
        }
    }
}
