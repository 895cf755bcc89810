package io.blockhaus.nbd.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.EncoderException;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class NbdTransmissionEncoderTest {
    private EmbeddedChannel channel;

    @AfterEach
    void nothingLeftOver() {
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    private void mode(boolean structured, boolean extended) {
        channel = new EmbeddedChannel(new NbdTransmissionEncoder(structured, extended));
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

    @Test
    void simpleErrorReply() {
        mode(false, false);
        assertThat(encode(NbdSimpleReply.of(NbdError.EINVAL, 0x0102030405060708L)))
                .isEqualTo(HexFormat.of().parseHex("67446698" + "00000016" + "0102030405060708"));
    }

    @Test
    void simpleReadReplyAppendsDataWithoutCopying() {
        mode(false, false);
        ByteBuf data = Unpooled.wrappedBuffer(Bytes.filled(512, 9));
        channel.writeOutbound(NbdSimpleReply.read(42, data));
        ByteBuf out = channel.readOutbound();

        assertThat(out).isInstanceOf(CompositeByteBuf.class);
        assertThat(data.refCnt()).as("held by the composite, not copied and dropped").isEqualTo(1);
        assertThat(ByteBufUtil.getBytes(out)).isEqualTo(
                Bytes.of().u32(0x67446698).u32(0).u64(42).raw(Bytes.filled(512, 9)).build());
        out.release();
        assertThat(data.refCnt()).isZero();
    }

    /**
     * A whole READ framed in the room in front of its data goes out as the same bytes as the
     * header-plus-data composite of the plain messages, in each reply style, as that one buffer.
     */
    @Test
    void readReplyIsFramedInPlaceAsTheSameBytesInEveryStyle() {
        boolean[][] styles = {{false, false}, {true, false}, {true, true}, {false, true}};
        for (boolean[] style : styles) {
            mode(style[0], style[1]);
            byte[] data = Bytes.filled(4096, 5);
            ByteBuf plain = Unpooled.wrappedBuffer(data.clone());
            byte[] expected = encode(style[0] || style[1]
                    ? new NbdReplyChunk.OffsetData(99, 8192, true, 8192, plain)
                    : NbdSimpleReply.read(99, plain));

            ByteBuf room = NbdReadReply.allocate(channel.alloc(), data.length).writeBytes(data);
            assertThat(channel.writeOutbound(new NbdReadReply(99, 8192, room))).isTrue();
            ByteBuf out = channel.readOutbound();
            assertThat(out).as("one buffer, no composite").isSameAs(room);
            assertThat(ByteBufUtil.getBytes(out)).as("structured %s, extended %s", style[0], style[1]).isEqualTo(expected);
            out.release();
            assertThat(room.refCnt()).isZero();
            assertThat(channel.finishAndReleaseAll()).isFalse();
        }
    }

    @Test
    void readReplyRefusesABufferWithoutRoomForItsHeader() {
        mode(true, false);
        ByteBuf tight = Unpooled.buffer(64).writeZero(64);
        assertThatThrownBy(() -> new NbdReadReply(1, 0, tight)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("room");
        tight.release();
    }

    @Test
    void structuredChunks() {
        mode(true, false);
        assertThat(encode(new NbdReplyChunk.None(7, 0)))
                .isEqualTo(Bytes.of().u32(0x668e33ef).u16(1).u16(0).u64(7).u32(0).build());

        ByteBuf data = Unpooled.wrappedBuffer(Bytes.filled(100, 3));
        assertThat(encode(new NbdReplyChunk.OffsetData(7, 0, false, 4096, data)))
                .isEqualTo(Bytes.of().u32(0x668e33ef).u16(0).u16(1).u64(7).u32(108)
                        .u64(4096).raw(Bytes.filled(100, 3)).build());
        assertThat(data.refCnt()).isZero();

        assertThat(encode(new NbdReplyChunk.OffsetHole(7, 0, false, 8192, 0x8000_0000)))
                .isEqualTo(Bytes.of().u32(0x668e33ef).u16(0).u16(2).u64(7).u32(12).u64(8192).u32(0x8000_0000L).build());

        assertThat(encode(new NbdReplyChunk.BlockStatus(8, 0, true, 1, List.of(
                new NbdReplyChunk.Extent(4096, 3), new NbdReplyChunk.Extent(0xFFFF_FFFFL, 0)))))
                .isEqualTo(Bytes.of().u32(0x668e33ef).u16(1).u16(5).u64(8).u32(4 + 16)
                        .u32(1).u32(4096).u32(3).u32(0xFFFF_FFFFL).u32(0).build());

        assertThat(encode(new NbdReplyChunk.Error(9, 0, true, NbdError.EIO, "disk on fire")))
                .isEqualTo(Bytes.of().u32(0x668e33ef).u16(1).u16(0x8001).u64(9).u32(6 + 12)
                        .u32(5).u16(12).ascii("disk on fire").build());

        assertThat(encode(new NbdReplyChunk.ErrorOffset(9, 0, false, NbdError.ENOSPC, "", 1L << 35)))
                .isEqualTo(Bytes.of().u32(0x668e33ef).u16(0).u16(0x8002).u64(9).u32(14)
                        .u32(28).u16(0).u64(1L << 35).build());
    }

    @Test
    void simpleRepliesWithoutDataStillAllowedUnderStructuredReplies() {
        mode(true, false);
        assertThat(encode(NbdSimpleReply.of(NbdError.OK, 1))).hasSize(16);
    }

    @Test
    void extendedChunksCarryRequestOffsetAndSixtyFourBitLengths() {
        mode(false, true);
        long requestOffset = 0x1122334455667788L;
        assertThat(encode(new NbdReplyChunk.None(5, requestOffset)))
                .isEqualTo(Bytes.of().u32(0x6e8a278c).u16(1).u16(0).u64(5).u64(requestOffset).u64(0).build());

        ByteBuf data = Unpooled.wrappedBuffer(new byte[] {1, 2, 3});
        assertThat(encode(new NbdReplyChunk.OffsetData(5, requestOffset, true, 99, data)))
                .isEqualTo(Bytes.of().u32(0x6e8a278c).u16(1).u16(1).u64(5).u64(requestOffset).u64(11)
                        .u64(99).u8(1).u8(2).u8(3).build());

        assertThat(encode(new NbdReplyChunk.BlockStatus(5, requestOffset, true, 2, List.of(
                new NbdReplyChunk.Extent(1L << 40, 1L << 33)))))
                .isEqualTo(Bytes.of().u32(0x6e8a278c).u16(1).u16(6).u64(5).u64(requestOffset).u64(8 + 16)
                        .u32(2).u32(1).u64(1L << 40).u64(1L << 33).build());

        assertThat(encode(new NbdReplyChunk.Error(5, requestOffset, true, NbdError.ESHUTDOWN, "")))
                .isEqualTo(Bytes.of().u32(0x6e8a278c).u16(1).u16(0x8001).u64(5).u64(requestOffset).u64(6)
                        .u32(108).u16(0).build());
    }

    @Test
    void refusesRepliesTheClientDidNotNegotiate() {
        mode(false, false);
        assertThatThrownBy(() -> channel.writeOutbound(new NbdReplyChunk.None(1, 0)))
                .isInstanceOf(EncoderException.class);
        channel.finishAndReleaseAll();

        mode(false, true);
        assertThatThrownBy(() -> channel.writeOutbound(NbdSimpleReply.of(NbdError.OK, 1)))
                .isInstanceOf(EncoderException.class);
        channel.finishAndReleaseAll();

        mode(true, false);
        ByteBuf data = Unpooled.wrappedBuffer(new byte[8]);
        assertThatThrownBy(() -> channel.writeOutbound(NbdSimpleReply.read(1, data)))
                .isInstanceOf(EncoderException.class);
        assertThat(data.refCnt()).as("rejected message still released").isZero();
        assertThatThrownBy(() -> channel.writeOutbound(new NbdReplyChunk.BlockStatus(1, 0, true, 1,
                List.of(new NbdReplyChunk.Extent(1L << 32, 0))))).isInstanceOf(EncoderException.class);
    }

    /** Data sent from a file: the chunk header counts the region's bytes, and the region follows it untouched. */
    @Test
    void fileDataChunkIsItsHeaderThenTheRegion() throws Exception {
        for (boolean extended : new boolean[] {false, true}) {
            mode(true, extended);
            java.nio.file.Path f = java.nio.file.Files.createTempFile("encoder", ".bin");
            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(f)) {
                io.netty.channel.DefaultFileRegion region = new io.netty.channel.DefaultFileRegion(ch, 4096, 1 << 20);
                assertThat(channel.writeOutbound(new NbdReplyChunk.OffsetDataFile(7, 4096, true, 4096, region))).isTrue();
                ByteBuf header = channel.readOutbound();
                Object next = channel.readOutbound();
                Bytes expected = extended
                        ? Bytes.of().u32(0x6e8a278c).u16(1).u16(1).u64(7).u64(4096).u64(8 + (1 << 20)).u64(4096)
                        : Bytes.of().u32(0x668e33ef).u16(1).u16(1).u64(7).u32(8 + (1 << 20)).u64(4096);
                assertThat(ByteBufUtil.getBytes(header)).isEqualTo(expected.build());
                header.release();
                assertThat(next).as("the region, after its header").isSameAs(region);
                assertThat(region.refCnt()).as("the channel's reference; the message's was released").isEqualTo(1);
                region.release();
                assertThat(channel.finishAndReleaseAll()).isFalse();
            } finally {
                java.nio.file.Files.delete(f);
            }
        }
        mode(true, false); // for the @AfterEach check
    }

    /** A simple READ reply from a file (the kernel's client): its 16-byte header, then the region untouched. */
    @Test
    void simpleFileReplyIsItsHeaderThenTheRegion() throws Exception {
        mode(false, false);
        java.nio.file.Path f = java.nio.file.Files.createTempFile("encoder", ".bin");
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(f)) {
            io.netty.channel.DefaultFileRegion region = new io.netty.channel.DefaultFileRegion(ch, 0, 1 << 20);
            assertThat(channel.writeOutbound(new NbdSimpleFileReply(9, region))).isTrue();
            ByteBuf header = channel.readOutbound();
            Object next = channel.readOutbound();
            assertThat(ByteBufUtil.getBytes(header)).isEqualTo(Bytes.of().u32(0x67446698).u32(0).u64(9).build());
            header.release();
            assertThat(next).as("the region, after its header").isSameAs(region);
            assertThat(region.refCnt()).as("the channel's reference; the message's was released").isEqualTo(1);
            region.release();
            assertThat(channel.finishAndReleaseAll()).isFalse();

            mode(true, false);
            io.netty.channel.DefaultFileRegion refused = new io.netty.channel.DefaultFileRegion(ch, 0, 4096);
            assertThatThrownBy(() -> channel.writeOutbound(new NbdSimpleFileReply(9, refused)))
                    .as("data in a simple reply once structured replies are on").isInstanceOf(EncoderException.class);
            assertThat(refused.refCnt()).as("rejected message still released").isZero();
        } finally {
            java.nio.file.Files.delete(f);
        }
        mode(true, false); // for the @AfterEach check
    }
}
