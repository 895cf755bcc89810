package io.blockhaus.nbd.codec;

import io.netty.channel.FileRegion;
import io.netty.util.ReferenceCounted;

/**
 * Lets a reply record whose data is a {@link FileRegion} component named {@code region} be
 * reference counted through it, as {@link NbdByteBufHolder} does for buffers, so
 * {@code ReferenceCountUtil.release(msg)} and the encoder's automatic release work on it.
 */
public interface NbdFileRegionHolder extends ReferenceCounted {
    FileRegion region();

    @Override
    default int refCnt() {
        return region().refCnt();
    }

    @Override
    default NbdFileRegionHolder retain() {
        region().retain();
        return this;
    }

    @Override
    default NbdFileRegionHolder retain(int increment) {
        region().retain(increment);
        return this;
    }

    @Override
    default NbdFileRegionHolder touch() {
        region().touch();
        return this;
    }

    @Override
    default NbdFileRegionHolder touch(Object hint) {
        region().touch(hint);
        return this;
    }

    @Override
    default boolean release() {
        return region().release();
    }

    @Override
    default boolean release(int decrement) {
        return region().release(decrement);
    }
}
