package io.blockhaus.metrics.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Clients that send half a request line and stop (issue 11: two of them held both threads of the
 * metrics server, and {@code /healthz} stopped answering) hold a virtual thread each, not the
 * server's threads, and only until the exchange deadline ({@link BoundedExchanges}).
 */
class MetricsHttpSlowClientTest {
    private static final byte[] HALF_A_REQUEST_LINE = "GET /healthz HT".getBytes(StandardCharsets.US_ASCII);

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final HttpClient client = HttpClient.newHttpClient();
    private final List<Socket> sockets = new ArrayList<>();
    private MetricsHttpServer server;

    private void start(int maxExchanges, Duration deadline) {
        server = MetricsHttpServer.start(new InetSocketAddress("127.0.0.1", 0), Optional.empty(), registry, () -> { },
                () -> null, maxExchanges, deadline);
    }

    @AfterEach
    void stop() throws IOException {
        for (Socket s : sockets) {
            s.close();
        }
        server.close();
        client.close();
        registry.close();
    }

    /** A connection that sends half a request line and then nothing. */
    private Socket trickler() throws IOException {
        Socket s = new Socket("127.0.0.1", server.address().getPort());
        sockets.add(s);
        s.setSoTimeout(20_000); // a read that the server never ends fails the test instead of hanging it
        s.getOutputStream().write(HALF_A_REQUEST_LINE);
        s.getOutputStream().flush();
        return s;
    }

    /** GET /healthz, answered within {@code within} or failing; returns how long it took. */
    private long healthzMillis(Duration within) throws Exception {
        long start = System.nanoTime();
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + server.address().getPort() + "/healthz")).timeout(within).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).startsWith("ok");
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    }

    @Test
    void twoClientsTricklingHalfARequestDoNotKeepHealthzFromAnswering() throws Exception {
        start(MetricsHttpServer.MAX_EXCHANGES, MetricsHttpServer.DEADLINE);
        trickler();
        trickler();
        until("both half requests hold an exchange", () -> server.runningExchanges() == 2);
        long ms = healthzMillis(Duration.ofSeconds(2));
        System.out.println("metrics: /healthz answered in " + ms + " ms next to two half requests");
        // The /healthz exchange gives its slot back just after its answer is sent, so the client
        // may read the answer while three are still counted: wait for it to leave, then two remain.
        until("the healthz exchange left and the two half requests still wait (deadline 10 s)",
                () -> server.runningExchanges() == 2);
    }

    @Test
    void slowClientsAreDisconnectedAtTheDeadlineAndOnlyAsManyAsTheBoundAreHeld() throws Exception {
        Duration deadline = Duration.ofSeconds(1);
        start(4, deadline);
        long started = System.nanoTime();
        List<Socket> slow = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            slow.add(trickler());
        }
        until("four half requests hold every exchange", () -> server.runningExchanges() == 4);
        // A fifth connection finds no slot: the JDK server closes it rather than queue it.
        Socket fifth = trickler();
        try {
            fifth.getOutputStream().write("TP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            // the server may have reset it already, before this write: closed, as asserted next
        }
        assertThat(readToEnd(fifth.getInputStream())).as("the fifth connection is closed unanswered").isEmpty();
        // Each slow one is cut at its deadline: the server closes it without an answer.
        for (Socket s : slow) {
            assertThat(readToEnd(s.getInputStream())).isEmpty();
        }
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        System.out.println("metrics: four half requests disconnected " + ms + " ms after they connected (deadline "
                + deadline.toMillis() + " ms)");
        assertThat(ms).as("disconnected at the deadline, not before and not much later")
                .isBetween(deadline.toMillis() - 50, deadline.toMillis() + 5_000);
        until("the slots are free again", () -> server.runningExchanges() == 0);
        assertThat(healthzMillis(Duration.ofSeconds(2))).isLessThan(2_000);
    }

    /** What the server sends until it closes the connection (empty if it sends nothing); a reset counts as closed. */
    private static byte[] readToEnd(InputStream in) {
        try {
            return in.readAllBytes();
        } catch (java.net.SocketTimeoutException e) {
            throw new AssertionError("the server kept the connection open for 20 s", e);
        } catch (IOException e) {
            return new byte[0]; // reset by the server: closed, nothing answered
        }
    }

    private static void until(String what, java.util.function.BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("timed out: %s", what).isLessThan(deadline);
            LockSupport.parkNanos(5_000_000); // polling interval of a bounded wait
        }
    }
}
