package io.blockhaus.nbd.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * A simple reply: error and cookie, followed for a successful READ by the data. The data buffer
 * is written as is (not copied) and released by the encoder.
 */
public record NbdSimpleReply(NbdError error, long cookie, ByteBuf content) implements NbdByteBufHolder {

    public static NbdSimpleReply of(NbdError error, long cookie) {
        return new NbdSimpleReply(error, cookie, Unpooled.EMPTY_BUFFER);
    }

    public static NbdSimpleReply read(long cookie, ByteBuf data) {
        return new NbdSimpleReply(NbdError.OK, cookie, data);
    }

    @Override
    public NbdSimpleReply replace(ByteBuf content) {
        return new NbdSimpleReply(error, cookie, content);
    }
}
