package io.blockhaus.tls;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;

/**
 * The key material as plain JSSE, for listeners that are not Netty's (the metrics port's JDK
 * {@code HttpsServer}): the same certificate, key, CA and rules as {@link X509HandlerFactory}
 * (TLS 1.3 and 1.2 only, client certificates asked for as {@link PeerVerification} says and
 * verified by the JDK's trust manager against {@code --tls-ca}). Built directly rather than taken
 * from Netty's {@code JdkSslContext}: Netty applies client authentication to each engine it makes,
 * not to the {@link SSLContext}, so the HTTPS server would need the parameters below anyway.
 */
public final class JdkTls {
    /** Guards only the in-memory key store that carries the key to the key manager; never written out. */
    private static final char[] IN_MEMORY = "blockhaus".toCharArray();

    private JdkTls() {
    }

    /**
     * A context presenting {@code material}'s chain and key, and trusting its CA certificates and
     * nothing else (as a server: to verify client certificates; as a client: the server's). Never
     * the JDK's public CAs: with no {@code --tls-ca}, no peer certificate verifies.
     *
     * @throws TlsConfigException when the JDK cannot use the key material
     */
    public static SSLContext context(TlsMaterial material) {
        try {
            KeyStore keys = emptyStore();
            keys.setKeyEntry("own", material.key(), IN_MEMORY, material.chain().toArray(X509Certificate[]::new));
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, IN_MEMORY);
            SSLContext context = SSLContext.getInstance("TLS");
            // Names no CA to clients, as X509HandlerFactory: see UnadvertisedCaTrustManager.
            context.init(kmf.getKeyManagers(),
                    new TrustManager[] {UnadvertisedCaTrustManager.trusting(material.trusted())}, null);
            return context;
        } catch (GeneralSecurityException | IOException e) {
            throw new TlsConfigException("cannot set up TLS with --tls-cert/--tls-key: " + e.getMessage(), e);
        }
    }

    /** A server's parameters: {@link X509HandlerFactory#PROTOCOLS}, client certificates as {@code verification} says. */
    public static SSLParameters serverParameters(SSLContext context, PeerVerification verification) {
        SSLParameters p = context.getDefaultSSLParameters();
        p.setProtocols(X509HandlerFactory.PROTOCOLS.clone());
        switch (verification) {
            case NONE -> p.setWantClientAuth(false);
            case OPTIONAL -> p.setWantClientAuth(true);
            case REQUIRED -> p.setNeedClientAuth(true);
        }
        return p;
    }

    private static KeyStore emptyStore() throws GeneralSecurityException, IOException {
        KeyStore s = KeyStore.getInstance("PKCS12");
        s.load(null, null);
        return s;
    }
}
