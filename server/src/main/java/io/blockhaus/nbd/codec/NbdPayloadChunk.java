package io.blockhaus.nbd.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * A piece of a request payload (a WRITE's data) following its {@link NbdRequest}. Chunks are
 * slices of what arrived, so a 32 MiB WRITE is never gathered in one buffer by the codec; the
 * receiver owns each chunk and must release it.
 */
public record NbdPayloadChunk(ByteBuf content, boolean last) implements NbdByteBufHolder {
    /** The only chunk of a zero-length payload. */
    public static final NbdPayloadChunk EMPTY_LAST = new NbdPayloadChunk(Unpooled.EMPTY_BUFFER, true);

    @Override
    public NbdPayloadChunk replace(ByteBuf content) {
        return new NbdPayloadChunk(content, last);
    }
}
