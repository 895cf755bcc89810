package io.blockhaus.tls.psk;

import java.security.SecureRandom;
import java.util.Objects;
import java.util.concurrent.Executor;
import org.bouncycastle.tls.crypto.TlsCrypto;
import org.bouncycastle.tls.crypto.impl.jcajce.JcaTlsCryptoProvider;

/**
 * What every TLS-PSK connection of a server shares: the keys and the crypto. Like Netty's
 * {@code SslContext}, made once at start-up and asked for a new handler per connection.
 *
 * <p>The crypto is Bouncy Castle's JCA one over the JDK's providers, not its pure-Java one: the
 * JDK's AES-GCM runs on the CPU's AES instructions, several times faster per byte. It is
 * stateless but for its SecureRandom, which is thread-safe, so one serves all event loops.
 */
public final class PskServerContext {

    private final TlsCrypto crypto;
    private final PskKeyring keyring;

    private PskServerContext(TlsCrypto crypto, PskKeyring keyring) {
        this.crypto = crypto;
        this.keyring = keyring;
    }

    public static PskServerContext of(PskKeyring keyring) {
        return new PskServerContext(new JcaTlsCryptoProvider().create(new SecureRandom()),
                Objects.requireNonNull(keyring, "keyring"));
    }

    /**
     * A handler for one new connection, to put first in its pipeline (or at STARTTLS), whose
     * handshake steps run on {@code handshakeTasks} (null: on the connection's event loop).
     */
    public PskTlsHandler newHandler(Executor handshakeTasks) {
        return new PskTlsHandler(new PskTlsServer(crypto, keyring), PskTlsHandler.HANDSHAKE_TIMEOUT_MILLIS,
                handshakeTasks);
    }

    /** The same with another handshake deadline (tests). */
    PskTlsHandler newHandler(long handshakeTimeoutMillis, Executor handshakeTasks) {
        return new PskTlsHandler(new PskTlsServer(crypto, keyring), handshakeTimeoutMillis, handshakeTasks);
    }
}
