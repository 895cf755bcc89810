package io.blockhaus.monitoring;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.concurrent.locks.LockSupport;

/**
 * Debian's real Prometheus, started for one test class: on a free loopback port (never the system
 * one's :9090, which apt's postinst may have started), with its own data directory and a
 * generated configuration that scrapes one target every second and evaluates the shipped alerting
 * rules every second. Queried through its HTTP API; killed on close.
 */
final class PrometheusProcess implements AutoCloseable {
    private static final Duration START = Duration.ofSeconds(60);

    private final Process process;
    private final Path log;
    private final URI base;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private PrometheusProcess(Process process, Path log, URI base) {
        this.process = process;
        this.log = log;
        this.base = base;
    }

    /** Starts Prometheus in {@code dir} scraping {@code target} (HOST:PORT) as job blockhaus, and waits until it is ready. */
    static PrometheusProcess start(Path prometheus, Path dir, String target, Path rules) throws IOException {
        int port = freeLoopbackPort();
        Path config = dir.resolve("prometheus.yml");
        Files.writeString(config, """
                global:
                  scrape_interval: 1s
                  evaluation_interval: 1s
                rule_files:
                  - '%s'
                scrape_configs:
                  - job_name: blockhaus
                    metrics_path: /metrics
                    static_configs:
                      - targets: ['%s']
                """.formatted(rules, target));
        return launch(dir, port, prometheus.toString(), "--config.file=" + config,
                "--storage.tsdb.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:" + port, "--log.level=warn");
    }

    /** Runs {@code command} (a Prometheus, or a script that execs one) in {@code dir}, and waits until it answers on {@code port}. */
    static PrometheusProcess launch(Path dir, int port, String... command) throws IOException {
        Path log = dir.resolve("prometheus.log");
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        PrometheusProcess prom = new PrometheusProcess(p, log, URI.create("http://127.0.0.1:" + port));
        try {
            prom.awaitReady();
        } catch (RuntimeException e) {
            prom.close();
            throw e;
        }
        return prom;
    }

    /**
     * A loopback port free when asked. Were it taken before Prometheus binds it, Prometheus exits and
     * the start fails loudly (never the system Prometheus's :9090 by accident: that one is not free).
     */
    static int freeLoopbackPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private void awaitReady() {
        long deadline = System.nanoTime() + START.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException("prometheus exited " + process.exitValue() + ":\n" + log());
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("prometheus not ready after " + START + ":\n" + log());
            }
            try {
                if (get("/-/ready").statusCode() == 200) {
                    return;
                }
            } catch (UncheckedIOException e) {
                // not listening yet
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200)); // polling interval of a bounded wait
        }
    }

    private HttpResponse<String> get(String pathAndQuery) {
        try {
            return http.send(HttpRequest.newBuilder(base.resolve(pathAndQuery)).timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The API's answer (its "data") to GET {@code path}; fails on anything but status success. */
    JsonElement api(String pathAndQuery) {
        HttpResponse<String> r = get(pathAndQuery);
        JsonObject body = JsonParser.parseString(r.body()).getAsJsonObject();
        if (r.statusCode() != 200 || !"success".equals(body.get("status").getAsString())) {
            throw new AssertionError("GET " + pathAndQuery + ": HTTP " + r.statusCode() + " " + r.body());
        }
        return body.get("data");
    }

    /** The instant vector {@code expr} evaluates to now (its "result" array). */
    JsonArray query(String expr) {
        JsonElement data = api("/api/v1/query?query=" + URLEncoder.encode(expr, StandardCharsets.UTF_8));
        return data.getAsJsonObject().getAsJsonArray("result");
    }

    /** Polls {@code condition} until it holds; fails with Prometheus's log and targets past {@code timeout}. */
    void await(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not seen within " + timeout + ": " + what + "\nprometheus log:\n" + log()
                        + "\ntargets: " + api("/api/v1/targets"));
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(500)); // polling interval of a bounded wait
        }
    }

    String log() {
        try {
            return Files.exists(log) ? Files.readString(log) : "(no log)";
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    @Override
    public void close() {
        process.descendants().forEach(ProcessHandle::destroy);
        process.destroy();
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
