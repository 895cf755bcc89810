package io.blockhaus.nbd.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.EncoderException;
import java.util.HexFormat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class NbdHandshakeEncoderTest {
    private static final long REPLY_MAGIC = 0x3e889045565a9L;

    private final EmbeddedChannel channel = new EmbeddedChannel(new NbdHandshakeEncoder());

    @AfterEach
    void nothingLeftOver() {
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    private byte[] encode(Object msg) {
        assertThat(channel.writeOutbound(msg)).isTrue();
        ByteBuf out = channel.readOutbound();
        try {
            return ByteBufUtil.getBytes(out);
        } finally {
            out.release();
        }
    }

    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }

    @Test
    void greeting() {
        byte[] expected = hex("4e42444d41474943 49484156454f5054 0003"); // "NBDMAGIC" "IHAVEOPT" flags
        assertThat(encode(new NbdServerGreeting(new NbdHandshakeFlags(
                NbdHandshakeFlags.FIXED_NEWSTYLE | NbdHandshakeFlags.NO_ZEROES)))).isEqualTo(expected);
    }

    @Test
    void exportNameReplyWithAndWithoutZeroes() {
        NbdTransmissionFlags flags = NbdTransmissionFlags.of(NbdTransmissionFlags.SEND_FLUSH, NbdTransmissionFlags.READ_ONLY);
        byte[] head = hex("0000000100000000 0007");
        assertThat(encode(new NbdExportNameReply(1L << 32, flags, true))).isEqualTo(head);
        assertThat(encode(new NbdExportNameReply(1L << 32, flags, false)))
                .isEqualTo(Bytes.of().raw(head).zeros(124).build());
    }

    @Test
    void ack() {
        byte[] expected = hex("0003e889045565a9 00000007 00000001 00000000");
        assertThat(encode(new NbdOptionReply.Ack(NbdOption.GO))).isEqualTo(expected);
    }

    @Test
    void server() {
        byte[] expected = Bytes.of().u64(REPLY_MAGIC).u32(3).u32(2).u32(4 + 4 + 7)
                .u32(4).ascii("disk").ascii("scratch").build();
        assertThat(encode(new NbdOptionReply.Server(NbdOption.LIST, "disk", "scratch"))).isEqualTo(expected);
    }

    @Test
    void infoReplies() {
        NbdTransmissionFlags flags = NbdTransmissionFlags.of(NbdTransmissionFlags.SEND_FUA, NbdTransmissionFlags.CAN_MULTI_CONN);
        assertThat(encode(new NbdOptionReply.Info(NbdOption.GO, new NbdInfo.Export(123456789L, flags))))
                .isEqualTo(Bytes.of().u64(REPLY_MAGIC).u32(7).u32(3).u32(12).u16(0).u64(123456789L).u16(0x109).build());
        assertThat(encode(new NbdOptionReply.Info(NbdOption.INFO, new NbdInfo.Name("disk"))))
                .isEqualTo(Bytes.of().u64(REPLY_MAGIC).u32(6).u32(3).u32(6).u16(1).ascii("disk").build());
        assertThat(encode(new NbdOptionReply.Info(NbdOption.INFO, new NbdInfo.Description("a b"))))
                .isEqualTo(Bytes.of().u64(REPLY_MAGIC).u32(6).u32(3).u32(5).u16(2).ascii("a b").build());
        assertThat(encode(new NbdOptionReply.Info(NbdOption.GO, new NbdInfo.BlockSize(1, 4096, 32 << 20))))
                .isEqualTo(Bytes.of().u64(REPLY_MAGIC).u32(7).u32(3).u32(14).u16(3)
                        .u32(1).u32(4096).u32(32 << 20).build());
    }

    @Test
    void metaContext() {
        byte[] expected = Bytes.of().u64(REPLY_MAGIC).u32(10).u32(4).u32(4 + 15)
                .u32(7).ascii("base:allocation").build();
        assertThat(encode(new NbdOptionReply.MetaContext(NbdOption.SET_META_CONTEXT, 7, "base:allocation")))
                .isEqualTo(expected);
    }

    @Test
    void errorsWithAndWithoutMessage() {
        assertThat(encode(new NbdOptionReply.Error(NbdOption.valueOf(99), NbdOptionReplyType.ERR_UNSUP, "no")))
                .isEqualTo(hex("0003e889045565a9 00000063 80000001 00000002 6e6f"));
        assertThat(encode(new NbdOptionReply.Error(NbdOption.GO, NbdOptionReplyType.ERR_TOO_BIG, "")))
                .isEqualTo(hex("0003e889045565a9 00000007 80000009 00000000"));
        assertThat(NbdOptionReplyType.ERR_BLOCK_SIZE_REQD.code()).isEqualTo(0x80000008);
        assertThat(NbdOptionReplyType.valueOf(0x80000006)).isEqualTo(NbdOptionReplyType.ERR_UNKNOWN);
    }

    @Test
    void rejectsWhatWouldBreakTheProtocol() {
        assertThatThrownBy(() -> new NbdOptionReply.Error(NbdOption.GO, NbdOptionReplyType.ACK, ""))
                .isInstanceOf(IllegalArgumentException.class);
        String tooLong = "x".repeat(NbdLimits.MAX_STRING_LENGTH + 1);
        assertThatThrownBy(() -> channel.writeOutbound(new NbdOptionReply.Server(NbdOption.LIST, tooLong, "")))
                .isInstanceOf(EncoderException.class);
    }

    @Test
    void passesOtherMessagesThrough() {
        channel.writeOutbound("not nbd");
        assertThat((Object) channel.readOutbound()).isEqualTo("not nbd");
    }
}
