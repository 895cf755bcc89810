package io.blockhaus.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The server's certificate chain and private key, and the CA that client certificates must chain
 * to, read from PEM files and checked once at start-up, so that what would otherwise fail in the
 * first client's handshake (or, worse, work until a certificate expires mid-run unnoticed) stops
 * the server with one message naming the option and the file:
 * <ul>
 *   <li>each file exists and is readable;</li>
 *   <li>{@code --tls-cert} holds at least one certificate, the first being the server's, each
 *       valid now (not expired, not yet valid);</li>
 *   <li>{@code --tls-key} holds one unencrypted private key (PKCS#8, PKCS#1 RSA or SEC1 EC) that
 *       belongs to the first certificate (a signature made with it verifies with the certificate's
 *       public key);</li>
 *   <li>{@code --tls-ca}, when given, holds at least one certificate, each valid now.</li>
 * </ul>
 *
 * @param chain   the server's certificate first, then any intermediates, as in the file
 * @param key     the private key of {@code chain.getFirst()}
 * @param trusted CA certificates client certificates must chain to; empty when no {@code --tls-ca}
 */
public record TlsMaterial(List<X509Certificate> chain, PrivateKey key, List<X509Certificate> trusted) {
    private static final Pattern CERTIFICATE_BLOCK = Pattern.compile(
            "-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\\s]*?-----END CERTIFICATE-----");

    public TlsMaterial {
        chain = List.copyOf(chain);
        trusted = List.copyOf(trusted);
        Objects.requireNonNull(key, "key");
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("empty certificate chain");
        }
    }

    /** The server's own certificate. */
    public X509Certificate certificate() {
        return chain.getFirst();
    }

    /**
     * Reads and checks the files.
     *
     * @param cert PEM certificate chain ({@code --tls-cert})
     * @param key  PEM private key ({@code --tls-key})
     * @param ca   PEM CA certificates ({@code --tls-ca}), or null
     * @param now  the time certificates must be valid at
     * @throws TlsConfigException naming the option and the file, and what is wrong
     */
    public static TlsMaterial load(Path cert, Path key, Path ca, Instant now) {
        List<X509Certificate> chain = certificates("--tls-cert", cert, now);
        PrivateKey privateKey;
        try {
            privateKey = PemKeys.read(text("--tls-key", key));
        } catch (TlsConfigException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw new TlsConfigException("--tls-key " + key + ": " + e.getMessage(), e);
        }
        if (!matches(privateKey, chain.getFirst().getPublicKey())) {
            throw new TlsConfigException("--tls-key " + key + " is not the key of the certificate in --tls-cert "
                    + cert + " (" + chain.getFirst().getSubjectX500Principal().getName() + ")");
        }
        List<X509Certificate> trusted = ca == null ? List.of() : certificates("--tls-ca", ca, now);
        return new TlsMaterial(chain, privateKey, trusted);
    }

    /** Every certificate in a PEM file, each valid at {@code now}; at least one. */
    static List<X509Certificate> certificates(String option, Path file, Instant now) {
        // Only the PEM blocks: tools write text around them (certtool a dump, openssl x509 -text one).
        StringBuilder pem = new StringBuilder();
        Matcher m = CERTIFICATE_BLOCK.matcher(text(option, file));
        while (m.find()) {
            pem.append(m.group()).append('\n');
        }
        if (pem.isEmpty()) {
            throw new TlsConfigException(option + " " + file + ": no certificate in the file"
                    + " (expected -----BEGIN CERTIFICATE-----)");
        }
        byte[] bytes = pem.toString().getBytes(StandardCharsets.US_ASCII);
        Collection<? extends Certificate> read;
        try {
            read = CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(bytes));
        } catch (CertificateException e) {
            throw new TlsConfigException(option + " " + file + ": not a PEM certificate file ("
                    + firstLine(e) + ")", e);
        }
        if (read.isEmpty()) {
            throw new TlsConfigException(option + " " + file + ": no certificate in the file"
                    + " (expected -----BEGIN CERTIFICATE-----)");
        }
        List<X509Certificate> certs = new ArrayList<>();
        for (Certificate c : read) {
            X509Certificate x = (X509Certificate) c;
            try {
                x.checkValidity(Date.from(now));
            } catch (CertificateExpiredException e) {
                throw new TlsConfigException(option + " " + file + ": certificate " + x.getSubjectX500Principal().getName()
                        + " expired on " + x.getNotAfter().toInstant(), e);
            } catch (CertificateNotYetValidException e) {
                throw new TlsConfigException(option + " " + file + ": certificate " + x.getSubjectX500Principal().getName()
                        + " is not valid before " + x.getNotBefore().toInstant(), e);
            }
            certs.add(x);
        }
        return certs;
    }

    /**
     * Whether {@code key} is the private half of {@code pub}. RSA by modulus (cheap, and works
     * for RSASSA-PSS keys too); other algorithms by signing random bytes and verifying.
     */
    static boolean matches(PrivateKey key, PublicKey pub) {
        if (key instanceof RSAKey || pub instanceof RSAKey) {
            return key instanceof RSAKey a2 && pub instanceof RSAKey b && a2.getModulus().equals(b.getModulus());
        }
        if (!key.getAlgorithm().equals(pub.getAlgorithm())) {
            return false;
        }
        String algorithm = switch (key.getAlgorithm()) {
            case "EC" -> "SHA256withECDSA";
            case "DSA" -> "SHA256withDSA";
            default -> key.getAlgorithm(); // EdDSA, Ed25519, Ed448 name their own signature
        };
        try {
            byte[] challenge = new byte[32];
            new SecureRandom().nextBytes(challenge);
            Signature sign = Signature.getInstance(algorithm);
            sign.initSign(key);
            sign.update(challenge);
            byte[] sig = sign.sign();
            Signature verify = Signature.getInstance(algorithm);
            verify.initVerify(pub);
            verify.update(challenge);
            return verify.verify(sig);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    static String text(String option, Path file) {
        if (!Files.exists(file)) {
            throw new TlsConfigException(option + " " + file + ": no such file");
        }
        if (!Files.isRegularFile(file)) {
            throw new TlsConfigException(option + " " + file + ": not a regular file");
        }
        if (!Files.isReadable(file)) {
            throw new TlsConfigException(option + " " + file + ": not readable by this user");
        }
        try {
            return Files.readString(file, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new TlsConfigException(option + " " + file + ": cannot read: " + e.getMessage(), e);
        }
    }

    private static String firstLine(Exception e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
