package io.blockhaus.nbd.codec;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;
import java.util.List;

/**
 * Encodes transmission-phase replies: {@link NbdReadReply}, {@link NbdSimpleReply},
 * {@link NbdSimpleFileReply} and {@link NbdReplyChunk}. Read data is not copied: a whole READ's
 * header goes into the room kept in front of its data ({@link NbdReadReply}); other data follows a
 * header buffer in a composite, or a file region follows the header as a message of its own.
 * The negotiated reply style is fixed at construction and enforced, because a reply the client
 * did not negotiate desynchronises it: chunks need structured replies or extended
 * headers; simple replies are forbidden under extended headers and may not carry data once
 * structured replies are on.
 */
public final class NbdTransmissionEncoder extends MessageToMessageEncoder<Object> {
    private final boolean structuredReplies;
    private final boolean extendedHeaders;

    public NbdTransmissionEncoder(boolean structuredReplies, boolean extendedHeaders) {
        this.structuredReplies = structuredReplies;
        this.extendedHeaders = extendedHeaders;
    }

    @Override
    public boolean acceptOutboundMessage(Object msg) {
        return msg instanceof NbdReadReply || msg instanceof NbdSimpleReply || msg instanceof NbdSimpleFileReply
                || msg instanceof NbdReplyChunk;
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, Object msg, List<Object> out) {
        switch (msg) {
            case NbdReadReply d -> out.add(framedInPlace(d).retain()); // the encoder releases the message
            case NbdSimpleReply r -> {
                ByteBuf header = simpleHeader(ctx, r.error(), r.cookie(), r.content().isReadable());
                out.add(withData(ctx, header, r.content()));
            }
            case NbdSimpleFileReply f -> {
                out.add(simpleHeader(ctx, NbdError.OK, f.cookie(), f.region().count() > 0));
                out.add(f.region().retain()); // after its header; the encoder releases the message
            }
            case NbdReplyChunk.OffsetDataFile f -> {
                out.add(chunk(ctx, f));
                out.add(f.region().retain());
            }
            default -> out.add(chunk(ctx, (NbdReplyChunk) msg));
        }
    }

    private ByteBuf simpleHeader(ChannelHandlerContext ctx, NbdError error, long cookie, boolean withData) {
        if (extendedHeaders) {
            throw new IllegalStateException("simple replies are not allowed with extended headers");
        }
        if (structuredReplies && withData) {
            throw new IllegalStateException("data must go in OFFSET_DATA chunks with structured replies");
        }
        return ctx.alloc().buffer(NbdLimits.SIMPLE_REPLY_HEADER_LENGTH)
                .writeInt(NbdMagic.SIMPLE_REPLY).writeInt(error.code()).writeLong(cookie);
    }

    /**
     * Writes a whole READ's reply header into the room in front of its data ({@link NbdReadReply}):
     * the same bytes {@link #simpleHeader} or {@link #chunk} would put in a buffer of their own for
     * a simple reply or a final OFFSET_DATA chunk.
     */
    private ByteBuf framedInPlace(NbdReadReply d) {
        ByteBuf buf = d.content();
        int length = buf.readableBytes();
        int start;
        if (!structuredReplies && !extendedHeaders) {
            start = buf.readerIndex() - NbdLimits.SIMPLE_REPLY_HEADER_LENGTH;
            buf.setInt(start, NbdMagic.SIMPLE_REPLY).setInt(start + 4, NbdError.OK.code()).setLong(start + 8, d.cookie());
            return buf.readerIndex(start);
        }
        int headerLength = extendedHeaders ? NbdLimits.EXTENDED_REPLY_HEADER_LENGTH : NbdLimits.STRUCTURED_REPLY_HEADER_LENGTH;
        start = buf.readerIndex() - headerLength - Long.BYTES;
        buf.setInt(start, extendedHeaders ? NbdMagic.EXTENDED_REPLY : NbdMagic.STRUCTURED_REPLY)
                .setShort(start + 4, NbdReplyChunk.FLAG_DONE)
                .setShort(start + 6, NbdReplyType.OFFSET_DATA.code())
                .setLong(start + 8, d.cookie());
        if (extendedHeaders) {
            buf.setLong(start + 16, d.offset()).setLong(start + 24, Long.BYTES + (long) length);
        } else {
            buf.setInt(start + 16, Long.BYTES + length);
        }
        buf.setLong(start + headerLength, d.offset());
        return buf.readerIndex(start);
    }

    private ByteBuf chunk(ChannelHandlerContext ctx, NbdReplyChunk chunk) {
        if (!structuredReplies && !extendedHeaders) {
            throw new IllegalStateException("structured reply chunk without structured replies negotiated");
        }
        ByteBuf buf = ctx.alloc().buffer(64);
        try {
            return chunk(ctx, chunk, buf);
        } catch (RuntimeException e) {
            buf.release(); // a bad message (over-long string, 64-bit extent) must not leak the header
            throw e;
        }
    }

    private ByteBuf chunk(ChannelHandlerContext ctx, NbdReplyChunk chunk, ByteBuf buf) {
        int headerLength = extendedHeaders
                ? NbdLimits.EXTENDED_REPLY_HEADER_LENGTH : NbdLimits.STRUCTURED_REPLY_HEADER_LENGTH;
        buf.writerIndex(headerLength); // header is written last, once type and length are known
        ByteBuf data = null;
        long fileData = 0;
        NbdReplyType type;
        switch (chunk) {
            case NbdReplyChunk.None n -> type = NbdReplyType.NONE;
            case NbdReplyChunk.OffsetData d -> {
                type = NbdReplyType.OFFSET_DATA;
                buf.writeLong(d.offset());
                data = d.content();
            }
            case NbdReplyChunk.OffsetDataFile f -> {
                type = NbdReplyType.OFFSET_DATA;
                buf.writeLong(f.offset());
                fileData = f.region().count(); // sent after this header, by encode()
            }
            case NbdReplyChunk.OffsetHole h -> {
                type = NbdReplyType.OFFSET_HOLE;
                buf.writeLong(h.offset()).writeInt(h.holeSize());
            }
            case NbdReplyChunk.BlockStatus s -> type = writeBlockStatus(s, buf);
            case NbdReplyChunk.Error e -> {
                type = NbdReplyType.ERROR;
                writeError(e.error(), e.message(), buf);
            }
            case NbdReplyChunk.ErrorOffset e -> {
                type = NbdReplyType.ERROR_OFFSET;
                writeError(e.error(), e.message(), buf);
                buf.writeLong(e.offset());
            }
        }
        long payloadLength = buf.writerIndex() - headerLength + (data == null ? 0 : data.readableBytes()) + fileData;
        int end = buf.writerIndex();
        buf.writerIndex(0);
        buf.writeInt(extendedHeaders ? NbdMagic.EXTENDED_REPLY : NbdMagic.STRUCTURED_REPLY)
                .writeShort(chunk.done() ? NbdReplyChunk.FLAG_DONE : 0)
                .writeShort(type.code())
                .writeLong(chunk.cookie());
        if (extendedHeaders) {
            buf.writeLong(chunk.requestOffset()).writeLong(payloadLength);
        } else {
            buf.writeInt((int) payloadLength);
        }
        buf.writerIndex(end);
        return data == null ? buf : withData(ctx, buf, data);
    }

    private NbdReplyType writeBlockStatus(NbdReplyChunk.BlockStatus s, ByteBuf buf) {
        buf.writeInt(s.contextId());
        if (extendedHeaders) {
            buf.writeInt(s.extents().size());
            for (NbdReplyChunk.Extent e : s.extents()) {
                buf.writeLong(e.length()).writeLong(e.status());
            }
            return NbdReplyType.BLOCK_STATUS_EXT;
        }
        for (NbdReplyChunk.Extent e : s.extents()) {
            if ((e.length() >>> 32) != 0 || (e.status() >>> 32) != 0) {
                throw new IllegalArgumentException("extent does not fit 32-bit block status: " + e);
            }
            buf.writeInt((int) e.length()).writeInt((int) e.status());
        }
        return NbdReplyType.BLOCK_STATUS;
    }

    private static void writeError(NbdError error, String message, ByteBuf buf) {
        byte[] text = NbdStrings.bytes(message);
        buf.writeInt(error.code()).writeShort(text.length).writeBytes(text);
    }

    /** Appends data without copying; the encoder releases the message, so keep our own reference. */
    private static ByteBuf withData(ChannelHandlerContext ctx, ByteBuf header, ByteBuf data) {
        if (!data.isReadable()) {
            return header;
        }
        return ctx.alloc().compositeBuffer(2).addComponents(true, header, data.retain());
    }
}
