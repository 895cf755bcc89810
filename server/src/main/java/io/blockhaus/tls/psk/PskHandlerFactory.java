package io.blockhaus.tls.psk;

import io.blockhaus.tls.PeerIdentity;
import io.blockhaus.tls.PskFile;
import io.blockhaus.tls.TlsHandlerFactory;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandler;

/**
 * TLS-PSK behind the front ends' TLS seam: one {@link PskServerContext} over the keys of a
 * {@code --tls-psk} file, one {@link PskTlsHandler} per connection, the proven PSK identity as
 * the peer's identity for allow lists.
 */
public final class PskHandlerFactory implements TlsHandlerFactory {

    private final PskServerContext context;
    private final int identities;

    public PskHandlerFactory(PskFile keys) {
        this.context = PskServerContext.of(keys::keyOf);
        this.identities = keys.entries().size();
    }

    @Override
    public ChannelHandler newServerHandler(ByteBufAllocator alloc) {
        return context.newHandler();
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
