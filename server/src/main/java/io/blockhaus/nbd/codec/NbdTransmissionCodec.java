package io.blockhaus.nbd.codec;

import io.netty.channel.CombinedChannelDuplexHandler;

/**
 * The transmission-phase codec: {@link NbdTransmissionDecoder} plus {@link NbdTransmissionEncoder},
 * configured with what the handshake negotiated. Installed by
 * {@link NbdHandshakeCodec#switchToTransmission}.
 */
public final class NbdTransmissionCodec
        extends CombinedChannelDuplexHandler<NbdTransmissionDecoder, NbdTransmissionEncoder> {
    /** Pipeline name the codec is installed under. */
    public static final String NAME = "nbd-transmission-codec";

    public NbdTransmissionCodec(boolean structuredReplies, boolean extendedHeaders, int maxPayload) {
        super(new NbdTransmissionDecoder(extendedHeaders, maxPayload),
                new NbdTransmissionEncoder(structuredReplies, extendedHeaders));
    }

    /** The decoder half, which a handler asks about payloads it may take out of band. */
    public NbdTransmissionDecoder decoder() {
        return inboundHandler();
    }
}
