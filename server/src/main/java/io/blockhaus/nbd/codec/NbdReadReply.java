package io.blockhaus.nbd.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * A successful READ answered whole from one buffer: the encoder frames it as the negotiated style
 * demands (a simple reply, or one final OFFSET_DATA chunk, structured or extended) and sends it as
 * that one buffer, the header written into room kept free in front of the data.
 *
 * <h2>Why the room in front</h2>
 * A reply is a header of 16 to 40 bytes followed by the data. Sent as two buffers, the header
 * needs a buffer of its own and the pair a composite (with its component array, slices and a
 * two-element gather write): half a dozen objects for every cached 4 KiB READ, whose whole
 * answer costs a few microseconds. Reading the data {@link #HEADROOM} bytes into a buffer made by
 * {@link #allocate} leaves the header's place free, as a network stack keeps headroom in front
 * of a packet, and the reply leaves as one buffer.
 *
 * <p>The encoder overwrites the bytes in front of {@code content}'s reader index, so the buffer
 * must be one {@link #allocate} made and nobody else reads: the constructor checks the room.
 */
public record NbdReadReply(long cookie, long offset, ByteBuf content) implements NbdByteBufHolder {
    /** The longest header a read reply's data follows: an extended reply's, plus the chunk's offset. */
    public static final int HEADROOM = NbdLimits.EXTENDED_REPLY_HEADER_LENGTH + Long.BYTES;

    public NbdReadReply {
        if (content.readerIndex() < HEADROOM) {
            throw new IllegalArgumentException("a read reply's buffer needs " + HEADROOM
                    + " bytes of room in front of its data, has " + content.readerIndex());
        }
    }

    /** A buffer for {@code length} bytes of data, empty, with the header's room in front: write the data at its writer index. */
    public static ByteBuf allocate(ByteBufAllocator alloc, int length) {
        int capacity = HEADROOM + length;
        return alloc.directBuffer(capacity, capacity).setIndex(HEADROOM, HEADROOM);
    }

    @Override
    public NbdReadReply replace(ByteBuf content) {
        return new NbdReadReply(cookie, offset, content);
    }
}
