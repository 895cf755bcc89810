package io.blockhaus.tls.psk;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Vector;
import org.bouncycastle.tls.BasicTlsPSKExternal;
import org.bouncycastle.tls.BasicTlsPSKIdentity;
import org.bouncycastle.tls.CipherSuite;
import org.bouncycastle.tls.PRFAlgorithm;
import org.bouncycastle.tls.PSKTlsClient;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.TlsClientProtocol;
import org.bouncycastle.tls.TlsUtils;
import org.bouncycastle.tls.crypto.TlsCrypto;
import org.bouncycastle.tls.crypto.impl.bc.BcTlsCrypto;

/**
 * A Bouncy Castle TLS-PSK client in non-blocking mode, for driving {@link PskTlsHandler} in the
 * same JVM: bytes in with {@link #offer}, bytes out with {@link #takeOutput}. Its crypto is BC's
 * own pure-Java one, not the server's JCA one, so the two sides share no implementation.
 */
final class BcPskClient {

    private final TlsClientProtocol protocol = new TlsClientProtocol();
    private final ByteArrayOutputStream received = new ByteArrayOutputStream();
    private ProtocolVersion negotiated;
    private boolean complete;

    private BcPskClient() { }

    static BcPskClient tls13(String identity, byte[] key) throws IOException {
        return connect(identity, key, ProtocolVersion.TLSv13, CipherSuite.TLS_AES_128_GCM_SHA256);
    }

    static BcPskClient tls12(String identity, byte[] key, int suite) throws IOException {
        return connect(identity, key, ProtocolVersion.TLSv12, suite);
    }

    /**
     * One client for both versions: BC's PSKTlsClient sends the TLS 1.2 PSK identity, and its
     * external PSK list is what TLS 1.3 offers in pre_shared_key.
     */
    private static BcPskClient connect(String identity, byte[] key, ProtocolVersion version, int suite)
            throws IOException {
        BcPskClient c = new BcPskClient();
        TlsCrypto crypto = new BcTlsCrypto(new SecureRandom());
        c.protocol.connect(new PSKTlsClient(crypto, new BasicTlsPSKIdentity(identity, key)) {
            @Override
            protected ProtocolVersion[] getSupportedVersions() {
                return version.only();
            }

            @Override
            protected int[] getSupportedCipherSuites() {
                return new int[] {suite};
            }

            @Override
            public Vector getExternalPSKs() {
                return version.equals(ProtocolVersion.TLSv13)
                        ? TlsUtils.vectorOfOne(new BasicTlsPSKExternal(identity.getBytes(StandardCharsets.UTF_8),
                                getCrypto().createSecret(key), PRFAlgorithm.tls13_hkdf_sha256))
                        : null;
            }

            @Override
            public void notifyServerVersion(ProtocolVersion v) throws IOException {
                super.notifyServerVersion(v);
                c.negotiated = v;
            }

            @Override
            public void notifyHandshakeComplete() throws IOException {
                super.notifyHandshakeComplete();
                c.complete = true;
            }
        });
        return c;
    }

    void offer(byte[] bytes) throws IOException {
        protocol.offerInput(bytes);
        int n = protocol.getAvailableInputBytes();
        if (n > 0) {
            byte[] plain = new byte[n];
            protocol.readInput(plain, 0, n);
            received.write(plain, 0, n);
        }
    }

    byte[] takeOutput() {
        byte[] out = new byte[protocol.getAvailableOutputBytes()];
        protocol.readOutput(out, 0, out.length);
        return out;
    }

    void write(byte[] plain) throws IOException {
        protocol.writeApplicationData(plain, 0, plain.length);
    }

    void close() throws IOException {
        protocol.close();
    }

    byte[] received() {
        return received.toByteArray();
    }

    boolean handshakeComplete() {
        return complete;
    }

    boolean isClosed() {
        return protocol.isClosed();
    }

    ProtocolVersion negotiated() {
        return negotiated;
    }
}
