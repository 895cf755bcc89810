package io.blockhaus.s3.objects;

import io.blockhaus.s3.S3ProxyServer;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A quick timing of the SDK's sync HTTP clients against S3Proxy on loopback, to choose one (not a
 * test: surefire runs it only when named, {@code -Dtest=S3HttpClientTiming}). Figures and the
 * choice: docs/benchmarks/s3-http-client-2026-12-05.md. Every GET's bytes are checked, so a
 * client that is fast and wrong cannot win.
 */
class S3HttpClientTiming {
    private static final int BIG = 4 << 20;
    private static final int SMALL = 64 << 10;

    @Test
    void compareClients() {
        int rounds = Integer.getInteger("timing.rounds", 20);
        try (S3ProxyServer server = new S3ProxyServer()) {
            Duration t = Duration.ofSeconds(30);
            time(server, "url-connection", rounds, () -> UrlConnectionHttpClient.builder().socketTimeout(t).connectionTimeout(t));
            time(server, "apache (4)", rounds, () -> ApacheHttpClient.builder().socketTimeout(t).connectionTimeout(t));
            time(server, "apache5", rounds, Apache5HttpClient::builder);
            // a second pass, in another order, to see the noise of a loaded machine
            time(server, "apache5", rounds, Apache5HttpClient::builder);
            time(server, "apache (4)", rounds, () -> ApacheHttpClient.builder().socketTimeout(t).connectionTimeout(t));
            time(server, "url-connection", rounds, () -> UrlConnectionHttpClient.builder().socketTimeout(t).connectionTimeout(t));
        }
    }

    private static void time(S3ProxyServer server, String name, int rounds, Supplier<SdkHttpClient.Builder<?>> http) {
        byte[] big = new byte[BIG];
        new Random(1).nextBytes(big);
        try (AwsObjectStore s = new AwsObjectStore(server.settings(Duration.ofSeconds(30)), server.credentials(), http.get())) {
            for (int i = 0; i < 3; i++) { // warm up: JIT, connections
                s.put("timing/" + name + "/w", ByteBuffer.wrap(big));
                s.get("timing/" + name + "/w");
            }
            long[] put = new long[rounds];
            long[] get = new long[rounds];
            long[] range = new long[rounds * 10];
            for (int i = 0; i < rounds; i++) {
                String key = "timing/" + name + "/" + i;
                long t0 = System.nanoTime();
                s.put(key, ByteBuffer.wrap(big));
                put[i] = System.nanoTime() - t0;
                t0 = System.nanoTime();
                byte[] got = s.get(key).orElseThrow();
                get[i] = System.nanoTime() - t0;
                assertThat(got.length).isEqualTo(BIG);
                for (int j = 0; j < 10; j++) {
                    int off = (j * 397 * SMALL / 10) % (BIG - SMALL);
                    ByteBuffer dst = ByteBuffer.allocate(SMALL);
                    t0 = System.nanoTime();
                    s.getRange(key, off, dst);
                    range[i * 10 + j] = System.nanoTime() - t0;
                    assertThat(dst.array()).isEqualTo(Arrays.copyOfRange(big, off, off + SMALL));
                }
                s.delete(key);
            }
            System.out.printf("%-15s 4 MiB PUT median %6.1f ms (%5.0f MiB/s) | 4 MiB GET median %6.1f ms (%5.0f MiB/s) | 64 KiB ranged GET median %5.2f ms p90 %5.2f ms%n",
                    name, ms(median(put)), 4 / (ms(median(put)) / 1000), ms(median(get)), 4 / (ms(median(get)) / 1000),
                    ms(median(range)), ms(pct(range, 0.9)));
        }
    }

    private static long median(long[] a) {
        return pct(a, 0.5);
    }

    private static long pct(long[] a, double p) {
        long[] s = a.clone();
        Arrays.sort(s);
        return s[(int) Math.min(s.length - 1, Math.floor(p * s.length))];
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }
}
