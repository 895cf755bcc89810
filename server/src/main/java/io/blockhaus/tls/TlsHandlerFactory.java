package io.blockhaus.tls;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandler;

/**
 * The seam through which a front end puts TLS on one connection, whatever the key material:
 * {@link X509HandlerFactory} (the JDK's TLS, certificates) or the PSK one (Bouncy Castle).
 *
 * <p>The contract, which the NBD STARTTLS code relies on:
 * <ul>
 *   <li>The caller writes its last cleartext message (NBD's ACK to STARTTLS) first, then adds the
 *       handler at the head of the pipeline, on the event loop. From then on every byte in either
 *       direction is TLS: the handler must not let the first write through in the clear.</li>
 *   <li>The handler is the server side; it waits for the client's hello.</li>
 *   <li>When the handshake ends it fires Netty's {@code SslHandshakeCompletionEvent} down the
 *       pipeline ({@code SUCCESS}, or a failure with its cause, after which it closes the
 *       connection), and it bounds the handshake's duration itself.</li>
 *   <li>It decrypts into {@code ByteBuf}s and encrypts {@code ByteBuf}s only: no {@code FileRegion}
 *       passes it, so a front end must not use sendfile or splice on a TLS connection.</li>
 *   <li>Only TLS 1.3 and 1.2.</li>
 * </ul>
 */
public interface TlsHandlerFactory {

    /** A new server-side handler for one connection. */
    ChannelHandler newServerHandler(ByteBufAllocator alloc);

    /**
     * Who the peer proved to be in the completed handshake of {@code handler} (one this factory
     * made): a verified certificate's subject, a PSK identity, or {@link PeerIdentity#ANONYMOUS}.
     * Called on the connection's event loop after {@code SslHandshakeCompletionEvent.SUCCESS}.
     */
    PeerIdentity identityOf(ChannelHandler handler);

    /** One line for the start-up banner, e.g. "X.509, client certificates required". */
    String describe();
}
