package io.blockhaus.nbd.codec;

import io.netty.handler.codec.DecoderResult;

/**
 * A transmission request header. If {@link #hasPayload()} it is followed by one or more
 * {@link NbdPayloadChunk}s, the last one marked {@code last}; otherwise nothing follows.
 *
 * <p>{@code offset} and {@code length} are unsigned 64-bit values held in longs (compare with
 * {@link Long#compareUnsigned}); a compact header's 32-bit length is zero-extended. Command and
 * flags keep whatever the client sent, known or not, so the handler can answer EINVAL.
 *
 * <p>A failed {@link #decoderResult()} means: {@code PAYLOAD_TOO_LARGE} — the payload is being
 * discarded and no chunks follow, answer with an error and carry on; anything else — the stream
 * is unusable, disconnect.
 *
 * @param extended whether this came in an extended (32-byte) header
 */
public record NbdRequest(NbdCommandFlags flags, NbdCommand command, long cookie, long offset, long length,
        boolean extended, boolean hasPayload, DecoderResult decoderResult) {

    /** A successfully decoded request, for building test input and replies. */
    public NbdRequest(NbdCommandFlags flags, NbdCommand command, long cookie, long offset, long length,
            boolean extended, boolean hasPayload) {
        this(flags, command, cookie, offset, length, extended, hasPayload, DecoderResult.SUCCESS);
    }

    public boolean isFailure() {
        return decoderResult.isFailure();
    }
}
