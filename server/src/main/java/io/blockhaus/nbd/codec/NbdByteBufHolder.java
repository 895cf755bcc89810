package io.blockhaus.nbd.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;

/**
 * Lets a record that carries a {@link ByteBuf} component named {@code content} be reference
 * counted like Netty's own holders, so {@code ReferenceCountUtil.release(msg)} and the encoders'
 * automatic release work on it. Records cannot extend {@code DefaultByteBufHolder}, hence the
 * delegation through default methods; implementors only supply {@link #replace(ByteBuf)}.
 */
public interface NbdByteBufHolder extends ByteBufHolder {
    @Override
    ByteBufHolder replace(ByteBuf content);

    @Override
    default ByteBufHolder copy() {
        return replace(content().copy());
    }

    @Override
    default ByteBufHolder duplicate() {
        return replace(content().duplicate());
    }

    @Override
    default ByteBufHolder retainedDuplicate() {
        return replace(content().retainedDuplicate());
    }

    @Override
    default int refCnt() {
        return content().refCnt();
    }

    @Override
    default ByteBufHolder retain() {
        content().retain();
        return this;
    }

    @Override
    default ByteBufHolder retain(int increment) {
        content().retain(increment);
        return this;
    }

    @Override
    default ByteBufHolder touch() {
        content().touch();
        return this;
    }

    @Override
    default ByteBufHolder touch(Object hint) {
        content().touch(hint);
        return this;
    }

    @Override
    default boolean release() {
        return content().release();
    }

    @Override
    default boolean release(int decrement) {
        return content().release(decrement);
    }
}
