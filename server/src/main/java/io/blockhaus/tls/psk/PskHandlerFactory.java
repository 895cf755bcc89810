package io.blockhaus.tls.psk;

import io.blockhaus.tls.HandshakePool;
import io.blockhaus.tls.PeerIdentity;
import io.blockhaus.tls.PskFile;
import io.blockhaus.tls.TlsHandlerFactory;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandler;
import java.util.concurrent.Executor;

/**
 * TLS-PSK behind the front ends' TLS seam: one {@link PskServerContext} over the keys of a
 * {@code --tls-psk} file, one {@link PskTlsHandler} per connection, the proven PSK identity as
 * the peer's identity for allow lists; the handshakes' key exchanges run on a
 * {@link HandshakePool}, not on the event loops.
 */
public final class PskHandlerFactory implements TlsHandlerFactory {

    private final PskServerContext context;
    private final int identities;
    private final Executor handshakeTasks;

    /** Handshake steps on a {@link HandshakePool} of the factory's own. */
    public PskHandlerFactory(PskFile keys) {
        this(keys, HandshakePool.create());
    }

    /** With the executor that runs the handshakes' steps (a test holds them with its own). */
    public PskHandlerFactory(PskFile keys, Executor handshakeTasks) {
        this.context = PskServerContext.of(keys::keyOf);
        this.identities = keys.entries().size();
        this.handshakeTasks = handshakeTasks;
    }

    @Override
    public ChannelHandler newServerHandler(ByteBufAllocator alloc) {
        return context.newHandler(handshakeTasks);
    }

    @Override
    public PeerIdentity identityOf(ChannelHandler handler) {
        String identity = ((PskTlsHandler) handler).identity();
        // Called after the handshake's SUCCESS only, when the identity is proven and never null.
        return identity == null ? PeerIdentity.ANONYMOUS : new PeerIdentity.Psk(identity);
    }

    @Override
    public String describe() {
        return "TLS-PSK (TLS 1.3/1.2), " + identities + (identities == 1 ? " identity" : " identities");
    }
}
