package io.blockhaus.tls.psk;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Vector;
import org.bouncycastle.tls.AbstractTlsClient;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.BasicTlsPSKExternal;
import org.bouncycastle.tls.BasicTlsPSKIdentity;
import org.bouncycastle.tls.CipherSuite;
import org.bouncycastle.tls.PRFAlgorithm;
import org.bouncycastle.tls.PSKTlsClient;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.TlsAuthentication;
import org.bouncycastle.tls.TlsClient;
import org.bouncycastle.tls.TlsClientProtocol;
import org.bouncycastle.tls.TlsFatalAlert;
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
        BcPskClient c = new BcPskClient();
        TlsCrypto crypto = new BcTlsCrypto(new SecureRandom());
        c.protocol.connect(new AbstractTlsClient(crypto) {
            @Override
            protected ProtocolVersion[] getSupportedVersions() {
                return ProtocolVersion.TLSv13.only();
            }

            @Override
            protected int[] getSupportedCipherSuites() {
                return new int[] {CipherSuite.TLS_AES_128_GCM_SHA256};
            }

            @Override
            public Vector getExternalPSKs() {
                return TlsUtils.vectorOfOne(new BasicTlsPSKExternal(identity.getBytes(StandardCharsets.UTF_8),
                        getCrypto().createSecret(key), PRFAlgorithm.tls13_hkdf_sha256));
            }

            @Override
            public TlsAuthentication getAuthentication() throws IOException {
                throw new TlsFatalAlert(AlertDescription.internal_error, "a PSK server sends no certificate");
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

    static BcPskClient tls12(String identity, byte[] key, int suite) throws IOException {
        BcPskClient c = new BcPskClient();
        TlsClient client = new PSKTlsClient(new BcTlsCrypto(new SecureRandom()), new BasicTlsPSKIdentity(identity, key)) {
            @Override
            protected ProtocolVersion[] getSupportedVersions() {
                return ProtocolVersion.TLSv12.only();
            }

            @Override
            protected int[] getSupportedCipherSuites() {
                return new int[] {suite};
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
        };
        c.protocol.connect(client);
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
