package io.blockhaus.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.client.BlockhausClient;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code serve} binding {@code --metrics-listen}: the endpoint answers before the volumes are open
 * (healthy, not ready), is ready once both front ends listen, serves the JVM and process meters and
 * one {@code blockhaus.volume.ready} gauge per volume, which follows volumes created and deleted
 * over gRPC; {@code off} serves nothing.
 */
class ServeMetricsTest {
    @TempDir
    Path data;

    private final HttpClient http = HttpClient.newHttpClient();

    @AfterEach
    void closeClient() {
        http.close();
    }

    private HttpResponse<String> get(String hostPort, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://" + hostPort + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void servesJvmMetersAndVolumeGaugesThatFollowTheVolumes() throws Exception {
        try (InProcessServe s = InProcessServe.start(data, "--export", "name=a,size=1M")) {
            String at = s.metricsTarget();
            assertThat(get(at, "/readyz").statusCode()).isEqualTo(200);
            assertThat(get(at, "/healthz").statusCode()).isEqualTo(200);
            assertThat(get(at, "/metrics").body()).contains("jvm_memory_used_bytes{", "jvm_gc_", "jvm_threads_live_threads",
                    "jvm_classes_loaded_classes", "system_cpu_count", "process_uptime_seconds", "process_files_open_files",
                    "blockhaus_volume_ready{volume=\"a\"} 1.0");
            try (BlockhausClient c = BlockhausClient.connect(s.grpcTarget())) {
                c.createVolume("made", 1 << 20);
                assertThat(get(at, "/metrics").body()).contains("blockhaus_volume_ready{volume=\"made\"} 1.0",
                        "blockhaus_volume_ready{volume=\"a\"} 1.0");
                c.deleteVolume("made", false);
                assertThat(get(at, "/metrics").body()).doesNotContain("blockhaus_volume_ready{volume=\"made\"}")
                        .contains("blockhaus_volume_ready{volume=\"a\"} 1.0",
                                "blockhaus_requests_seconds_count{frontend=\"grpc\",op=\"DeleteVolume\",outcome=\"ok\",volume=\"made\"} 1",
                                "blockhaus_frontend_connections{frontend=\"grpc\"} 1.0");
            }
        }
    }

    @Test
    void readyzIs503WhileTheVolumesOpenThen200AndTheStartUpLineSaysWhere() throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort(); // closed again at once; serve binds it next
        }
        CountDownLatch opening = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        StoreFactory files = new FileStoreFactory();
        StoreFactory held = (file, size, readOnly) -> {
            opening.countDown();
            try {
                if (!release.await(60, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("the test never released the store");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            return files.open(file, size, readOnly);
        };
        String at = "127.0.0.1:" + port;
        Serve serve = Serve.start(held, data, at);
        try {
            assertThat(opening.await(60, TimeUnit.SECONDS)).as("serve reached the volumes: " + serve.out()).isTrue();
            HttpResponse<String> before = get(at, "/readyz");
            assertThat(before.statusCode()).isEqualTo(503);
            assertThat(before.body()).isEqualTo("not ready: the volumes are being opened\n");
            assertThat(get(at, "/healthz").statusCode()).isEqualTo(200);
        } finally {
            release.countDown();
        }
        ServeCommand.Running running = serve.awaitRunning();
        try {
            assertThat(running.metrics().getPort()).isEqualTo(port);
            assertThat(get(at, "/readyz").statusCode()).isEqualTo(200);
        } finally {
            serve.stop();
        }
        assertThat(serve.out().toString()).contains("blockhaus: metrics on http://127.0.0.1:" + port
                + "/metrics (Prometheus text, OpenMetrics when asked; /healthz, /readyz)");
        assertThatRefused(port);
    }

    @Test
    void offServesNothing() throws Exception {
        Serve serve = Serve.start(new FileStoreFactory(), data, "off");
        try {
            assertThat(serve.awaitRunning().metrics()).isNull();
            assertThat(serve.cmd().metricsListen()).isNull();
        } finally {
            serve.stop();
        }
        assertThat(serve.out().toString()).contains("blockhaus: metrics off (--metrics-listen off): none recorded or served");
    }

    /** {@code serve} in this JVM over {@code stores}; {@link #awaitRunning} waits for it to listen. */
    private record Serve(ServeCommand cmd, CompletableFuture<Integer> exit, StringWriter out) {
        static Serve start(StoreFactory stores, Path data, String metricsListen) {
            ServeCommand cmd = new ServeCommand(stores, false);
            StringWriter out = new StringWriter();
            CommandLine cl = new CommandLine(cmd);
            cl.setOut(new PrintWriter(out, true));
            cl.setErr(new PrintWriter(out, true));
            return new Serve(cmd, CompletableFuture.supplyAsync(() -> cl.execute("--data-dir", data.toString(),
                    "--nbd-listen", "127.0.0.1:0", "--grpc-listen", "127.0.0.1:0", "--metrics-listen", metricsListen,
                    "--warmup", "0")), out);
        }

        ServeCommand.Running awaitRunning() {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (cmd.running() == null) {
                assertThat(exit).as("serve ended early: " + out).isNotDone();
                assertThat(System.nanoTime()).as("serve did not start: " + out).isLessThan(deadline);
                LockSupport.parkNanos(10_000_000); // polling interval of a bounded wait for start-up
            }
            return cmd.running();
        }

        void stop() throws Exception {
            cmd.running().shutdown().requestStop("test");
            assertThat(exit.get(60, TimeUnit.SECONDS)).isZero();
        }
    }

    private static void assertThatRefused(int port) throws Exception {
        try (var s = new java.net.Socket()) {
            org.assertj.core.api.Assertions.assertThatThrownBy(
                    () -> s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 2000))
                    .isInstanceOf(java.net.ConnectException.class);
        }
    }
}
