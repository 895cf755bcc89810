package io.blockhaus.tls.psk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Vector;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.AlertLevel;
import org.bouncycastle.tls.BasicTlsPSKExternal;
import org.bouncycastle.tls.CipherSuite;
import org.bouncycastle.tls.PRFAlgorithm;
import org.bouncycastle.tls.PSKTlsServer;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.PskIdentity;
import org.bouncycastle.tls.TlsCredentials;
import org.bouncycastle.tls.TlsFatalAlert;
import org.bouncycastle.tls.TlsPSKExternal;
import org.bouncycastle.tls.TlsPSKIdentityManager;
import org.bouncycastle.tls.TlsUtils;
import org.bouncycastle.tls.crypto.TlsCrypto;

/**
 * One connection's TLS-PSK server policy for Bouncy Castle: TLS 1.3 with an external PSK, or
 * TLS 1.2 with a PSK cipher suite, the key found by identity in a {@link PskKeyring}.
 *
 * <h2>What GnuTLS clients (libnbd, qemu) negotiate</h2>
 * GnuTLS offers TLS 1.3 first, with the external PSK in the ClientHello's pre_shared_key
 * extension and both psk_ke and psk_dhe_ke modes; Bouncy Castle takes psk_dhe_ke (an ephemeral
 * key exchange on top of the PSK: forward secrecy; seen in gnutls-cli's debug output). GnuTLS
 * binds an external PSK to SHA-256, so the TLS 1.3 suite is TLS_AES_128_GCM_SHA256: with a
 * SHA-384 suite the binder would not verify. A client limited to TLS 1.2 gets ECDHE-PSK or
 * DHE-PSK with AES-GCM (GnuTLS has no ECDHE-PSK GCM suite, so it takes DHE-PSK); plain PSK
 * suites (no forward secrecy) are not offered. ChaCha20-Poly1305 is absent: Bouncy Castle's JCA
 * crypto cannot build it from the JDK's providers (no Poly1305 MAC), and AES-GCM is the fast
 * path there anyway.
 *
 * <h2>The identity</h2>
 * {@link #identity()} is the identity whose key was selected. It is only proven once the
 * handshake has completed (the client's Finished verified under that key);
 * {@link PskTlsHandler} reads it then and never before.
 */
final class PskTlsServer extends PSKTlsServer {

    private static final int[] TLS13_SUITES = {
        CipherSuite.TLS_AES_128_GCM_SHA256,
    };
    private static final int[] TLS12_PSK_SUITES = {
        CipherSuite.TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256,
        CipherSuite.TLS_ECDHE_PSK_WITH_AES_256_GCM_SHA384,
        CipherSuite.TLS_DHE_PSK_WITH_AES_128_GCM_SHA256,
        CipherSuite.TLS_DHE_PSK_WITH_AES_256_GCM_SHA384,
    };

    private final KeyringIdentities identities;
    private boolean complete;

    PskTlsServer(TlsCrypto crypto, PskKeyring keyring) {
        this(crypto, new KeyringIdentities(keyring));
    }

    private PskTlsServer(TlsCrypto crypto, KeyringIdentities identities) {
        super(crypto, identities);
        this.identities = identities;
    }

    /** The identity whose key was selected, or null if none was (yet). */
    String identity() {
        return identities.selected;
    }

    /** Whether the handshake has completed: the client proved it holds {@link #identity()}'s key. */
    boolean handshakeComplete() {
        return complete;
    }

    @Override
    public void notifyHandshakeComplete() throws IOException {
        super.notifyHandshakeComplete();
        complete = true;
    }

    @Override
    protected ProtocolVersion[] getSupportedVersions() {
        return ProtocolVersion.TLSv13.downTo(ProtocolVersion.TLSv12);
    }

    @Override
    protected int[] getSupportedCipherSuites() {
        int[] all = new int[TLS13_SUITES.length + TLS12_PSK_SUITES.length];
        System.arraycopy(TLS13_SUITES, 0, all, 0, TLS13_SUITES.length);
        System.arraycopy(TLS12_PSK_SUITES, 0, all, TLS13_SUITES.length, TLS12_PSK_SUITES.length);
        return TlsUtils.getSupportedCipherSuites(getCrypto(), all);
    }

    @Override
    public TlsPSKExternal getExternalPSK(Vector identitiesOffered) {
        for (Object o : identitiesOffered) {
            byte[] raw = ((PskIdentity) o).getIdentity();
            Optional<byte[]> key = identities.lookUp(raw);
            if (key.isPresent()) {
                return new BasicTlsPSKExternal(raw, getCrypto().createSecret(key.get()),
                        PRFAlgorithm.tls13_hkdf_sha256);
            }
        }
        return null;
    }

    @Override
    public TlsCredentials getCredentials() throws IOException {
        // Asked in TLS 1.3 only when no offered identity had a key: this server has no
        // certificate to fall back to, so the handshake fails there, with the alert that says so.
        if (TlsUtils.isTLSv13(context)) {
            throw new TlsFatalAlert(AlertDescription.unknown_psk_identity, "no key for the PSK identities offered");
        }
        return super.getCredentials();
    }

    @Override
    public void notifyAlertRaised(short level, short description, String message, Throwable cause) {
        log(System.Logger.Level.DEBUG, "raised", level, description, message);
    }

    @Override
    public void notifyAlertReceived(short level, short description) {
        log(System.Logger.Level.DEBUG, "received", level, description, null);
    }

    private static void log(System.Logger.Level at, String how, short level, short description, String message) {
        System.getLogger(PskTlsServer.class.getName()).log(at, () -> "TLS-PSK alert " + how + ": "
                + AlertLevel.getText(level) + ", " + AlertDescription.getText(description)
                + (message == null ? "" : " (" + message + ")"));
    }

    /** TLS 1.2's lookup (identity manager) and the record of which identity's key was used. */
    private static final class KeyringIdentities implements TlsPSKIdentityManager {
        private final PskKeyring keyring;
        private String selected;

        KeyringIdentities(PskKeyring keyring) {
            this.keyring = keyring;
        }

        @Override
        public byte[] getHint() {
            return null;
        }

        @Override
        public byte[] getPSK(byte[] identity) {
            return lookUp(identity).orElse(null);
        }

        Optional<byte[]> lookUp(byte[] raw) {
            String name = utf8(raw);
            if (name == null) {
                return Optional.empty();
            }
            Optional<byte[]> key = keyring.keyFor(name);
            if (key.isPresent()) {
                selected = name;
            }
            return key;
        }

        /** The identity as text, or null if it is not UTF-8 (psktool names are; a key cannot be). */
        private static String utf8(byte[] raw) {
            try {
                return StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(raw)).toString();
            } catch (CharacterCodingException e) {
                return null;
            }
        }
    }
}
