package io.blockhaus.nbd.codec;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToByteEncoder;

/**
 * Encodes what the server sends during the handshake: {@link NbdServerGreeting},
 * {@link NbdOptionReply} and {@link NbdExportNameReply}. These are all small, so each is written
 * into one buffer; other messages pass through untouched.
 */
public final class NbdHandshakeEncoder extends MessageToByteEncoder<Object> {

    @Override
    public boolean acceptOutboundMessage(Object msg) {
        return msg instanceof NbdServerGreeting || msg instanceof NbdOptionReply || msg instanceof NbdExportNameReply;
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, Object msg, ByteBuf out) {
        switch (msg) {
            case NbdServerGreeting g -> out.writeLong(NbdMagic.NBDMAGIC).writeLong(NbdMagic.IHAVEOPT)
                    .writeShort(g.flags().value());
            case NbdExportNameReply r -> {
                out.writeLong(r.size()).writeShort(r.flags().value());
                if (!r.noZeroes()) {
                    out.writeZero(NbdLimits.EXPORT_NAME_REPLY_ZEROES);
                }
            }
            case NbdOptionReply r -> writeOptionReply(r, out);
            default -> throw new IllegalArgumentException("unexpected message " + msg.getClass());
        }
    }

    private static void writeOptionReply(NbdOptionReply reply, ByteBuf out) {
        out.writeLong(NbdMagic.OPTION_REPLY).writeInt(reply.option().code()).writeInt(reply.type().code());
        int lengthIndex = out.writerIndex();
        out.writeInt(0);
        switch (reply) {
            case NbdOptionReply.Ack a -> {
                // No data.
            }
            case NbdOptionReply.Server s -> {
                byte[] name = NbdStrings.bytes(s.name());
                out.writeInt(name.length).writeBytes(name).writeBytes(NbdStrings.bytes(s.details()));
            }
            case NbdOptionReply.Info i -> writeInfo(i.info(), out);
            case NbdOptionReply.MetaContext m -> out.writeInt(m.contextId()).writeBytes(NbdStrings.bytes(m.name()));
            case NbdOptionReply.Error e -> out.writeBytes(NbdStrings.bytes(e.message()));
        }
        // Back-patch the length rather than computing it per variant twice.
        out.setInt(lengthIndex, out.writerIndex() - lengthIndex - 4);
    }

    private static void writeInfo(NbdInfo info, ByteBuf out) {
        out.writeShort(info.type().code());
        switch (info) {
            case NbdInfo.Export e -> out.writeLong(e.size()).writeShort(e.flags().value());
            case NbdInfo.Name n -> out.writeBytes(NbdStrings.bytes(n.name()));
            case NbdInfo.Description d -> out.writeBytes(NbdStrings.bytes(d.description()));
            case NbdInfo.BlockSize b -> out.writeInt(b.minimum()).writeInt(b.preferred()).writeInt(b.maximumPayload());
        }
    }
}
