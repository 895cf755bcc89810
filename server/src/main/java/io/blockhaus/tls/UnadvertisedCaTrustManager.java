package io.blockhaus.tls;

import java.io.IOException;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The JDK's PKIX trust manager over {@code --tls-ca}, verifying exactly as it does, but naming no
 * CA to the peer: {@link #getAcceptedIssuers()} is empty, so the server's CertificateRequest
 * carries no {@code certificate_authorities} extension (TLS 1.3) and an empty CA list (TLS 1.2).
 *
 * <p>Why: GnuTLS 3.7 (libnbd, qemu) picks its client certificate by the CAs the server names only
 * after checking the certificate's public-key algorithm against the server's
 * {@code signature_algorithms}, mapped to key types. In TLS 1.3 the JDK there lists, for RSA,
 * only {@code rsa_pss_rsae_*} and {@code rsa_pss_pss_*} (RFC 8446 forbids PKCS#1 v1.5 in
 * CertificateVerify), which GnuTLS maps to the key type RSA-PSS, never to RSA; so an RSA client
 * certificate issued by the very CA named is judged unusable and GnuTLS answers with an empty
 * certificate list (its debug log: "Peer requested CA", then an assertion in
 * find_x509_client_cert). When the server names no CA, GnuTLS sends its single certificate
 * without that check and signs with RSA-PSS, which works. nbdkit does not hit this: GnuTLS as a
 * server also lists {@code rsa_pkcs1_*}. ECDSA keys pass either way.
 *
 * <p>What is lost: a client holding several certificates can no longer choose by CA. libnbd and
 * qemu load one; the JDK, OpenSSL and GnuTLS clients with one certificate send it. Verification is
 * untouched: a certificate from another CA still fails the handshake.
 */
final class UnadvertisedCaTrustManager extends X509ExtendedTrustManager {
    private static final X509Certificate[] NONE = new X509Certificate[0];

    private final X509ExtendedTrustManager pkix;

    private UnadvertisedCaTrustManager(X509ExtendedTrustManager pkix) {
        this.pkix = pkix;
    }

    /** The JDK's default (PKIX) trust manager trusting {@code cas} and nothing else, wrapped. */
    static UnadvertisedCaTrustManager trusting(List<X509Certificate> cas) {
        try {
            KeyStore trusted = KeyStore.getInstance("PKCS12");
            trusted.load(null, null);
            for (int i = 0; i < cas.size(); i++) {
                trusted.setCertificateEntry("ca-" + i, cas.get(i));
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trusted);
            for (TrustManager tm : tmf.getTrustManagers()) {
                if (tm instanceof X509ExtendedTrustManager x) {
                    return new UnadvertisedCaTrustManager(x);
                }
            }
            throw new TlsConfigException("the JDK offers no X.509 trust manager");
        } catch (GeneralSecurityException | IOException e) {
            throw new TlsConfigException("cannot trust --tls-ca: " + e.getMessage(), e);
        }
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return NONE; // the point of this class: see above
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        pkix.checkClientTrusted(chain, authType, socket);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        pkix.checkClientTrusted(chain, authType, engine);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        pkix.checkClientTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        pkix.checkServerTrusted(chain, authType, socket);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        pkix.checkServerTrusted(chain, authType, engine);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        pkix.checkServerTrusted(chain, authType);
    }
}
