package io.blockhaus.nbd;

import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.engine.Engine;
import io.blockhaus.engine.EngineConfig;
import io.blockhaus.engine.Volume;
import io.blockhaus.engine.VolumeConfig;
import io.blockhaus.engine.store.MemoryStore;
import io.blockhaus.metrics.frontend.NbdMeters;
import io.blockhaus.metrics.frontend.RequestHistograms;
import io.blockhaus.metrics.frontend.ScrapedRequests;
import io.blockhaus.nbd.NbdTestClient.Mode;
import io.blockhaus.nbd.codec.NbdCommand;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The NBD front end's meters for a scripted session through our own client: every request counted
 * once under its op and outcome (refusals under their errno), payload bytes in and out, a
 * malformed request, the connections gauge, and connections ended by their reason.
 */
class NbdRequestMetersTest {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private Engine engine;
    private NbdServer server;

    @BeforeEach
    void start() throws InterruptedException {
        engine = new Engine(EngineConfig.withCache(8L << 20));
        Volume rw = engine.open(VolumeConfig.of("rw"), new MemoryStore(1 << 20));
        Volume ro = engine.open(VolumeConfig.of("ro").withReadOnly(true), new MemoryStore(1 << 20));
        NbdMeters meters = new NbdMeters(registry, RequestHistograms.register(registry));
        server = NbdServer.start(NbdTestServer.config(), NbdExports.of(List.of(rw, ro)), meters);
        meters.bindConnections(server);
    }

    @AfterEach
    void stop() {
        server.close();
        engine.close();
        registry.close();
    }

    private long count(String volume, String op, String outcome) {
        return ScrapedRequests.of(registry).count("nbd", volume, op, outcome);
    }

    private double bytes(String volume, String direction) {
        var c = registry.find("blockhaus.frontend.bytes").tags("frontend", "nbd", "volume", volume, "direction", direction)
                .counter();
        return c == null ? 0 : c.count();
    }

    private double gauge(String name) {
        return registry.get(name).tag("frontend", "nbd").gauge().value();
    }

    @Test
    void aScriptedSessionIsCountedByOpAndOutcome() throws IOException {
        try (NbdTestClient c = NbdTestClient.open(server.address().getPort(), Mode.STRUCTURED, "rw")) {
            assertThat(gauge("blockhaus.frontend.connections")).isEqualTo(1);
            byte[] data = new byte[8192];
            c.writeOk(0, data);
            c.writeOk(8192, data);
            assertThat(c.readOk(0, 4096)).hasSize(4096);
            assertThat(c.readOk(4096, 8192)).hasSize(8192);
            assertThat(c.flush().ok()).isTrue();
            assertThat(c.trim(0, 4096).ok()).isTrue();
            assertThat(c.writeZeroes(4096, 4096, 0).ok()).isTrue();
            assertThat(c.cache(0, 65536).ok()).isTrue();
            assertThat(c.blockStatus(0, 65536, 0).ok()).isTrue();
            assertThat(c.read(1 << 20, 4096).error()).isEqualTo(22); // past the end: refused before the engine
        }
        try (NbdTestClient c = NbdTestClient.open(server.address().getPort(), Mode.SIMPLE, "ro")) {
            assertThat(c.write(0, new byte[4096]).error()).isEqualTo(1); // EPERM on a read-only export
            assertThat(c.readOk(0, 512)).hasSize(512);
        }
        assertThat(count("rw", "write", "ok")).isEqualTo(2);
        assertThat(count("rw", "read", "ok")).isEqualTo(2);
        assertThat(count("rw", "flush", "ok")).isEqualTo(1);
        assertThat(count("rw", "trim", "ok")).isEqualTo(1);
        assertThat(count("rw", "write_zeroes", "ok")).isEqualTo(1);
        assertThat(count("rw", "cache", "ok")).isEqualTo(1);
        assertThat(count("rw", "block_status", "ok")).isEqualTo(1);
        assertThat(count("rw", "read", "EINVAL")).isEqualTo(1);
        assertThat(count("ro", "write", "EPERM")).isEqualTo(1);
        assertThat(count("ro", "read", "ok")).isEqualTo(1);
        ScrapedRequests scraped = ScrapedRequests.of(registry);
        assertThat(scraped.series()).hasSize(10);
        assertThat(scraped.sum("nbd", "rw", "read", "ok")).isPositive();
        assertThat(scraped.sum("nbd", "ro", "write", "EPERM")).isPositive();
        assertThat(bytes("rw", "in")).isEqualTo(16384);
        assertThat(bytes("rw", "out")).isEqualTo(4096 + 8192);
        assertThat(bytes("ro", "in")).isEqualTo(4096); // the refused WRITE's payload still came in
        assertThat(bytes("ro", "out")).isEqualTo(512);
        Await.until("both connections closed", Duration.ofSeconds(10), () -> gauge("blockhaus.frontend.connections") == 0);
        // Closed connections' counts are folded into the series, not lost with them.
        assertThat(count("rw", "write", "ok")).isEqualTo(2);
        assertThat(count("rw", "read", "ok")).isEqualTo(2);
        assertThat(count("ro", "read", "ok")).isEqualTo(1);
        assertThat(ScrapedRequests.of(registry).series()).hasSize(10);
        assertThat(registry.scrape()).contains(
                "blockhaus_requests_seconds_bucket{frontend=\"nbd\",op=\"read\",outcome=\"ok\",volume=\"rw\",le=\"1.0E-6\"}",
                "blockhaus_requests_seconds_count{frontend=\"nbd\",op=\"write\",outcome=\"EPERM\",volume=\"ro\"} 1",
                "blockhaus_frontend_bytes_total{direction=\"in\",frontend=\"nbd\",volume=\"rw\"} 16384.0");
    }

    @Test
    void aMalformedRequestIsCountedAndItsConnectionClosed() throws IOException {
        try (NbdTestClient c = NbdTestClient.open(server.address().getPort(), Mode.SIMPLE, "rw")) {
            c.writeHeader(0x12345678, 1, 0, NbdCommand.READ.code(), 0, 4096); // not the request magic
            c.flushOut();
            Await.until("the malformed request counted", Duration.ofSeconds(10),
                    () -> registry.get("blockhaus.frontend.malformed").tag("frontend", "nbd").counter().count() == 1);
        }
        assertThat(registry.scrape()).doesNotContain("blockhaus_requests_seconds");
        Await.until("the close counted under its reason", Duration.ofSeconds(10),
                () -> disconnects("malformed-request") == 1);
        assertThat(disconnects("client-closed")).isZero();
        assertThat(registry.scrape())
                .contains("blockhaus_frontend_disconnects_total{frontend=\"nbd\",reason=\"malformed-request\"} 1.0")
                .contains("blockhaus_frontend_disconnects_total{frontend=\"nbd\",reason=\"internal-error\"} 0.0");
    }

    @Test
    void aClientsGoodbyeIsCountedAsSuch() throws IOException {
        try (NbdTestClient c = NbdTestClient.open(server.address().getPort(), Mode.SIMPLE, "rw")) {
            c.disconnect();
        }
        Await.until("the goodbye counted", Duration.ofSeconds(10), () -> disconnects("client-disc") == 1);
        assertThat(disconnects("malformed-request") + disconnects("internal-error")).isZero();
    }

    private double disconnects(String reason) {
        return registry.get("blockhaus.frontend.disconnects").tags("frontend", "nbd", "reason", reason)
                .functionCounter().count();
    }
}
