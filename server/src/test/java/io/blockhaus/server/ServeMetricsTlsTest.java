package io.blockhaus.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.blockhaus.tls.JdkTls;
import io.blockhaus.tls.TestPki;
import io.blockhaus.tls.TlsMaterial;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code serve --metrics-tls}: the endpoint over HTTPS with the server certificate (NBD's TLS off
 * or on), scraped by the JDK's HttpClient trusting the test CA; plain HTTP to it fails; under
 * {@code --tls-verify-peer} a client certificate from the CA is required. Asking for it without
 * a certificate or a port is a usage error (exit 2, one line) before anything is opened.
 */
class ServeMetricsTlsTest {
    @TempDir
    static Path dir;
    private static TestPki pki;
    private static TestPki.Issued server;
    private static TestPki.Issued scraper;
    private static TestPki.Issued stranger;

    private final StringWriter err = new StringWriter();

    @BeforeAll
    static void pki() {
        pki = TestPki.create(dir.resolve("ca"), "Test CA");
        server = pki.server("server");
        scraper = pki.client("prometheus");
        stranger = TestPki.create(dir.resolve("other-ca"), "Other CA").client("prometheus");
    }

    @Test
    void overHttpsWithNbdTlsOffAndPlainHttpToItFails() throws Exception {
        try (InProcessServe s = InProcessServe.start(dir.resolve("off"), "--metrics-tls",
                "--tls-cert", server.cert().toString(), "--tls-key", server.key().toString())) {
            assertThat(startUpLines(s)).contains("NBD TLS off", "metrics on https://127.0.0.1:");
            try (HttpClient https = client(context(null), "TLSv1.3", "TLSv1.2")) {
                assertThat(get(https, "https", s, "/metrics").body()).contains("jvm_memory_used_bytes{");
                assertThat(get(https, "https", s, "/healthz").statusCode()).isEqualTo(200);
                assertThat(get(https, "https", s, "/readyz").statusCode()).isEqualTo(200);
            }
            try (HttpClient tls12 = client(context(null), "TLSv1.2")) {
                assertThat(get(tls12, "https", s, "/healthz").statusCode()).isEqualTo(200);
            }
            try (HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build()) {
                assertThatThrownBy(() -> get(plain, "http", s, "/metrics")).isInstanceOf(IOException.class);
            }
        }
    }

    @Test
    void underVerifyPeerOnlyAClientCertificateFromTheCaIsServed() throws Exception {
        try (InProcessServe s = InProcessServe.start(dir.resolve("mtls"), "--metrics-tls", "--tls", "require",
                "--tls-cert", server.cert().toString(), "--tls-key", server.key().toString(),
                "--tls-ca", pki.caCert().toString(), "--tls-verify-peer")) {
            assertThat(startUpLines(s)).contains("NBD TLS require", "metrics on https://");
            try (HttpClient withCertificate = client(context(scraper), "TLSv1.3", "TLSv1.2")) {
                assertThat(get(withCertificate, "https", s, "/metrics").body()).contains("jvm_memory_used_bytes{");
            }
            for (String protocol : List.of("TLSv1.3", "TLSv1.2")) {
                try (HttpClient anonymous = client(context(null), protocol);
                        HttpClient foreign = client(context(stranger), protocol)) {
                    assertThatThrownBy(() -> get(anonymous, "https", s, "/metrics")).as(protocol)
                            .isInstanceOf(IOException.class);
                    assertThatThrownBy(() -> get(foreign, "https", s, "/metrics")).as(protocol)
                            .isInstanceOf(IOException.class);
                }
            }
        }
    }

    @Test
    void askedWithoutACertificateOrAPortIsAUsageError() {
        String cert = server.cert().toString();
        String key = server.key().toString();
        assertRefused("--metrics-tls needs --tls-cert and --tls-key", "--metrics-tls");
        assertRefused("--metrics-tls needs --tls-cert and --tls-key", "--metrics-tls", "--tls-cert", cert);
        assertRefused("--metrics-tls needs a metrics port: not with --metrics-listen off", "--metrics-tls",
                "--metrics-listen", "off", "--tls-cert", cert, "--tls-key", key);
        assertRefused("Prometheus cannot use --tls-psk", "--metrics-tls", "--tls", "on", "--tls-psk", "k.psk");
        assertRefused("--tls-verify-peer needs --tls-ca", "--metrics-tls", "--tls-cert", cert, "--tls-key", key,
                "--tls-verify-peer");
        // Without --metrics-tls the certificate options still need NBD's TLS, as before.
        assertRefused("need --tls on or --tls require", "--tls-cert", cert, "--tls-key", key);
        // With NBD's TLS off the files are still read and checked, for the metrics port.
        TestPki.Issued expired = pki.serverValid("expired", LocalDateTime.of(2019, 1, 1, 0, 0),
                LocalDateTime.of(2020, 1, 1, 0, 0));
        assertRefused("expired on 2020-01-01", "--metrics-tls", "--tls-cert", expired.cert().toString(),
                "--tls-key", expired.key().toString());
    }

    /** Exit 2, the message the first of two lines (the second the usual hint), nothing created. */
    private void assertRefused(String message, String... options) {
        err.getBuffer().setLength(0);
        CommandLine cmd = Main.commandLine(new CommandLine.IFactory() {
            @Override
            public <K> K create(Class<K> cls) throws Exception {
                return cls == ServeCommand.class ? cls.cast(new ServeCommand((file, size, ro) -> {
                    throw new AssertionError("nothing may be opened");
                }, false)) : CommandLine.defaultFactory().create(cls);
            }
        });
        cmd.setOut(new PrintWriter(new StringWriter(), true));
        cmd.setErr(new PrintWriter(err, true));
        List<String> args = new ArrayList<>(List.of("serve", "--data-dir", dir.resolve("refused").toString(),
                "--nbd-listen", "127.0.0.1:0", "--grpc-listen", "127.0.0.1:0"));
        if (!List.of(options).contains("--metrics-listen")) {
            args.addAll(List.of("--metrics-listen", "127.0.0.1:0"));
        }
        args.addAll(List.of(options));
        assertThat(cmd.execute(args.toArray(String[]::new))).as("%s", err).isEqualTo(Main.EXIT_USAGE);
        String[] lines = err.toString().lines().toArray(String[]::new);
        assertThat(lines).as("%s", err).hasSize(2);
        assertThat(lines[0]).startsWith("blockhaus-server serve: ").contains(message);
        assertThat(dir.resolve("refused")).doesNotExist();
    }

    /** The start-up lines, which serve prints just after it starts listening (so: a bounded wait for the last). */
    private static String startUpLines(InProcessServe s) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!s.log().contains("running as pid") && System.nanoTime() < deadline) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10)); // polling interval of a bounded wait
        }
        return s.log();
    }

    private static HttpResponse<String> get(HttpClient client, String scheme, InProcessServe s, String path)
            throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(URI.create(scheme + "://" + s.metricsTarget() + path))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A client offering only {@code protocols}; it verifies the server's name (127.0.0.1 is in its certificate). */
    private static HttpClient client(SSLContext context, String... protocols) {
        SSLParameters p = context.getDefaultSSLParameters();
        p.setProtocols(protocols);
        return HttpClient.newBuilder().sslContext(context).sslParameters(p).connectTimeout(Duration.ofSeconds(10)).build();
    }

    /** Trusting the test CA alone; presenting {@code certificate} when not null. */
    private static SSLContext context(TestPki.Issued certificate) throws Exception {
        if (certificate != null) {
            return JdkTls.context(TlsMaterial.load(certificate.cert(), certificate.key(), pki.caCert(), Instant.now()));
        }
        KeyStore trusted = KeyStore.getInstance("PKCS12");
        trusted.load(null, null);
        trusted.setCertificateEntry("ca", TlsMaterial.load(server.cert(), server.key(), pki.caCert(), Instant.now())
                .trusted().getFirst());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trusted);
        SSLContext c = SSLContext.getInstance("TLS");
        c.init(null, tmf.getTrustManagers(), null);
        return c;
    }
}
