package io.blockhaus.tls;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A throw-away PKI for tests, made with GnuTLS's {@code certtool} (Debian: gnutls-bin): one CA,
 * and server or client certificates it issues, in the directory layouts libnbd and qemu read.
 * Tests that need it skip with a message when certtool is missing.
 *
 * <p>Keys are ECDSA P-256 (quick to make), but for {@link #rsaClient}: an RSA client key is the
 * case GnuTLS clients once failed against the JDK's TLS 1.3 (see UnadvertisedCaTrustManager).
 */
public final class TestPki {
    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

    /** A certificate and its key. */
    public record Issued(Path cert, Path key) {
    }

    private final Path dir;
    private final Path caCert;
    private final Path caKey;

    private TestPki(Path dir) {
        this.dir = dir;
        this.caCert = dir.resolve("ca-cert.pem");
        this.caKey = dir.resolve("ca-key.pem");
    }

    /** Skips the calling test when certtool is not installed. */
    public static void requireCerttool() {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/certtool")) || onPath("certtool"),
                "certtool not installed (Debian package gnutls-bin): skipping the TLS test");
    }

    /** A new CA called {@code name} in {@code dir} (created). */
    public static TestPki create(Path dir, String name) {
        requireCerttool();
        TestPki pki = new TestPki(dir);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        pki.privateKey(pki.caKey);
        Path template = pki.template("ca", "cn = \"" + name + "\"\nca\ncert_signing_key\nexpiration_days = 30\n");
        run("certtool", "--generate-self-signed", "--load-privkey", pki.caKey.toString(), "--template",
                template.toString(), "--outfile", pki.caCert.toString());
        return pki;
    }

    public Path caCert() {
        return caCert;
    }

    /** A server certificate for localhost and 127.0.0.1, valid for 30 days. */
    public Issued server(String name) {
        return issue(name, "cn = \"localhost\"\ndns_name = \"localhost\"\nip_address = \"127.0.0.1\"\n"
                + "tls_www_server\nsigning_key\nexpiration_days = 30\n");
    }

    /** A client certificate with subject CN {@code cn} and the given DNS subjectAltNames. */
    public Issued client(String cn, String... dnsNames) {
        StringBuilder t = new StringBuilder("cn = \"" + cn + "\"\ntls_www_client\nsigning_key\nexpiration_days = 30\n");
        for (String d : dnsNames) {
            t.append("dns_name = \"").append(d).append("\"\n");
        }
        return issue(cn, t.toString(), "ecdsa");
    }

    /** A client certificate with subject CN {@code cn} on an RSA key (certtool's default size), in file {@code file}-cert.pem. */
    public Issued rsaClient(String file, String cn) {
        return issue(file, "cn = \"" + cn + "\"\ntls_www_client\nsigning_key\nexpiration_days = 30\n", "rsa");
    }

    /** A server certificate valid only between {@code from} and {@code to} (UTC): expired, or not yet valid. */
    public Issued serverValid(String name, LocalDateTime from, LocalDateTime to) {
        return issue(name, "cn = \"localhost\"\ntls_www_server\nsigning_key\nactivation_date = \"" + DATE.format(from)
                + "\"\nexpiration_date = \"" + DATE.format(to) + "\"\n");
    }

    /** A key alone, matching no certificate. */
    public Path strayKey(String name) {
        Path key = dir.resolve(name + "-key.pem");
        privateKey(key);
        return key;
    }

    /**
     * The directory libnbd ({@code tls-certificates=}) and qemu ({@code tls-creds-x509,dir=})
     * read on the client side: ca-cert.pem (to verify the server), and client-cert.pem /
     * client-key.pem when {@code client} is not null.
     */
    public static Path clientDir(Path dir, Path caCert, Issued client) {
        try {
            Files.createDirectories(dir);
            Files.copy(caCert, dir.resolve("ca-cert.pem"));
            if (client != null) {
                Files.copy(client.cert(), dir.resolve("client-cert.pem"));
                Files.copy(client.key(), dir.resolve("client-key.pem"));
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Issued issue(String name, String template) {
        return issue(name, template, "ecdsa");
    }

    private Issued issue(String name, String template, String keyType) {
        Path key = dir.resolve(name + "-key.pem");
        Path cert = dir.resolve(name + "-cert.pem");
        privateKey(key, keyType);
        run("certtool", "--generate-certificate", "--load-privkey", key.toString(), "--load-ca-certificate",
                caCert.toString(), "--load-ca-privkey", caKey.toString(), "--template",
                template(name, template).toString(), "--outfile", cert.toString());
        return new Issued(cert, key);
    }

    private void privateKey(Path key) {
        privateKey(key, "ecdsa");
    }

    private void privateKey(Path key, String keyType) {
        run("certtool", "--generate-privkey", "--key-type=" + keyType, "--outfile", key.toString());
    }

    private Path template(String name, String text) {
        Path t = dir.resolve(name + ".info");
        try {
            Files.writeString(t, text, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return t;
    }

    /** Runs a command to completion (30 s at most), failing with its output when it fails. */
    public static String run(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("timed out: " + String.join(" ", command));
            }
            String text = new String(out, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " exited " + p.exitValue() + ":\n" + text);
            }
            return text;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static boolean onPath(String tool) {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(":")));
        return dirs.stream().anyMatch(d -> !d.isEmpty() && Files.isExecutable(Path.of(d, tool)));
    }
}
