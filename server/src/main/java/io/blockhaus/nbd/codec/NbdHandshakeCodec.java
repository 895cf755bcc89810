package io.blockhaus.nbd.codec;

import io.netty.channel.ChannelPipeline;
import io.netty.channel.CombinedChannelDuplexHandler;

/**
 * The handshake-phase codec: {@link NbdHandshakeDecoder} plus {@link NbdHandshakeEncoder}.
 *
 * <p>Switching phases: when the handler accepts NBD_OPT_GO (or answers NBD_OPT_EXPORT_NAME), it
 * writes the final reply and then, in the same event-loop task, calls
 * {@link #switchToTransmission}. Order matters: the reply still needs this encoder, and the client
 * cannot send requests before it sees that reply, so nothing is read in between. Bytes the
 * handshake decoder had already buffered past the option are passed on to the new decoder by
 * {@code pipeline.replace} (Netty forwards a removed decoder's cumulation to its replacement).
 */
public final class NbdHandshakeCodec extends CombinedChannelDuplexHandler<NbdHandshakeDecoder, NbdHandshakeEncoder> {

    public NbdHandshakeCodec() {
        super(new NbdHandshakeDecoder(), new NbdHandshakeEncoder());
    }

    /**
     * Bytes received but not yet decoded. After an option the client must wait for the answer to
     * (STARTTLS), any byte here was sent before that answer: in the clear, where TLS was asked for.
     */
    public int bufferedBytes() {
        return inboundHandler().buffered();
    }

    /**
     * Replaces this codec in {@code pipeline} with a transmission codec for what was negotiated.
     *
     * @param structuredReplies NBD_OPT_STRUCTURED_REPLY was acknowledged
     * @param extendedHeaders NBD_OPT_EXTENDED_HEADERS was acknowledged
     * @param maxPayload largest request payload accepted (the advertised maximum block size)
     */
    public static NbdTransmissionCodec switchToTransmission(ChannelPipeline pipeline, boolean structuredReplies,
            boolean extendedHeaders, int maxPayload) {
        NbdTransmissionCodec next = new NbdTransmissionCodec(structuredReplies, extendedHeaders, maxPayload);
        pipeline.replace(NbdHandshakeCodec.class, NbdTransmissionCodec.NAME, next);
        return next;
    }
}
