package io.blockhaus.nbd.codec;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The hand-over from handshake to transmission codec, done the way a server handler would, with
 * requests arriving in the same read as the option that ends the handshake.
 */
class NbdCodecPhaseSwitchTest {
    private static final NbdTransmissionFlags FLAGS = NbdTransmissionFlags.of(NbdTransmissionFlags.SEND_FLUSH);

    /** Minimal stand-in for the real server handler: answers GO/EXPORT_NAME and every request. */
    private static final class FakeServer extends ChannelInboundHandlerAdapter {
        final List<Object> seen = new ArrayList<>();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            seen.add(msg);
            switch (msg) {
                case NbdOptionRequest.Info go when go.option().equals(NbdOption.GO) -> {
                    ctx.write(new NbdOptionReply.Info(NbdOption.GO, new NbdInfo.Export(1 << 20, FLAGS)));
                    ctx.writeAndFlush(new NbdOptionReply.Ack(NbdOption.GO));
                    NbdHandshakeCodec.switchToTransmission(ctx.pipeline(), true, false, 4096);
                }
                case NbdOptionRequest.ExportName e -> {
                    ctx.writeAndFlush(new NbdExportNameReply(1 << 20, FLAGS, true));
                    NbdHandshakeCodec.switchToTransmission(ctx.pipeline(), false, false, 4096);
                }
                case NbdRequest r when !r.hasPayload() -> ctx.writeAndFlush(NbdSimpleReply.of(NbdError.OK, r.cookie()));
                case NbdPayloadChunk c when c.last() -> ctx.writeAndFlush(NbdSimpleReply.of(NbdError.OK, 2));
                default -> {
                }
            }
        }
    }

    private static byte[] drainOutbound(EmbeddedChannel channel) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (ByteBuf b; (b = channel.readOutbound()) != null; b.release()) {
            out.writeBytes(ByteBufUtil.getBytes(b));
        }
        return out.toByteArray();
    }

    /** WRITE payload joined from however many chunks the feeding produced. */
    private static byte[] payload(List<Object> seen) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        seen.stream().filter(NbdPayloadChunk.class::isInstance)
                .forEach(c -> out.writeBytes(ByteBufUtil.getBytes(((NbdPayloadChunk) c).content())));
        assertThat(((NbdPayloadChunk) seen.get(seen.size() - 1)).last()).isTrue();
        return out.toByteArray();
    }

    private static List<Object> run(Feeder.Mode mode, byte[] option, EmbeddedChannel channel, FakeServer server) {
        byte[] input = Bytes.of().u32(1).raw(option)
                .raw(Bytes.request(0, 0, 1, 0, 512))                       // READ, same read as the option
                .raw(Bytes.request(0, 1, 2, 0, 3)).u8(7).u8(8).u8(9)      // WRITE with payload
                .build();
        new Feeder(channel, mode).feed(input); // Feeder also counts fed buffers; release checked below
        assertThat((Object) channel.readInbound()).isNull();
        assertThat(channel.pipeline().get(NbdHandshakeCodec.class)).isNull();
        assertThat(channel.pipeline().get(NbdTransmissionCodec.NAME)).isInstanceOf(NbdTransmissionCodec.class);
        return server.seen;
    }

    @ParameterizedTest
    @EnumSource(Feeder.Mode.class)
    void goHandsLeftoverBytesToTheTransmissionDecoder(Feeder.Mode mode) {
        FakeServer server = new FakeServer();
        EmbeddedChannel channel = new EmbeddedChannel(new NbdHandshakeCodec(), server);
        List<Object> seen = run(mode, Bytes.option(7, Bytes.of().str32("").u16(0).build()).build(), channel, server);

        assertThat(seen.subList(0, 4)).containsExactly(new NbdClientFlags(1),
                new NbdOptionRequest.Info(NbdOption.GO, "", List.of()),
                new NbdRequest(NbdCommandFlags.NONE, NbdCommand.READ, 1, 0, 512, false, false),
                new NbdRequest(NbdCommandFlags.NONE, NbdCommand.WRITE, 2, 0, 3, false, true));
        assertThat(payload(seen)).containsExactly(7, 8, 9);
        assertThat(drainOutbound(channel)).isEqualTo(Bytes.of()
                .u64(0x3e889045565a9L).u32(7).u32(3).u32(12).u16(0).u64(1 << 20).u16(FLAGS.value())
                .u64(0x3e889045565a9L).u32(7).u32(1).u32(0)
                .u32(0x67446698).u32(0).u64(1)
                .u32(0x67446698).u32(0).u64(2)
                .build());
        seen.forEach(ReferenceCountUtil::release);
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    @ParameterizedTest
    @EnumSource(Feeder.Mode.class)
    void exportNameHandsLeftoverBytesToTheTransmissionDecoder(Feeder.Mode mode) {
        FakeServer server = new FakeServer();
        EmbeddedChannel channel = new EmbeddedChannel(new NbdHandshakeCodec(), server);
        List<Object> seen = run(mode, Bytes.option(1, "disk".getBytes()).build(), channel, server);

        assertThat(seen.get(1)).isEqualTo(new NbdOptionRequest.ExportName("disk"));
        assertThat(seen.subList(2, 4)).extracting(r -> ((NbdRequest) r).cookie()).containsExactly(1L, 2L);
        assertThat(payload(seen)).containsExactly(7, 8, 9);
        assertThat(drainOutbound(channel)).isEqualTo(Bytes.of()
                .u64(1 << 20).u16(FLAGS.value())
                .u32(0x67446698).u32(0).u64(1)
                .u32(0x67446698).u32(0).u64(2)
                .build());
        seen.forEach(ReferenceCountUtil::release);
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    @ParameterizedTest
    @EnumSource(Feeder.Mode.class)
    void inputBuffersAreReleasedAcrossTheSwitch(Feeder.Mode mode) {
        FakeServer server = new FakeServer();
        EmbeddedChannel channel = new EmbeddedChannel(new NbdHandshakeCodec(), server);
        ByteBuf input = Unpooled.wrappedBuffer(Bytes.of().u32(1).raw(Bytes.option(1, new byte[0]))
                .raw(Bytes.request(0, 1, 2, 0, 3)).u8(7).u8(8).u8(9).build());
        channel.writeInbound(input);

        assertThat(server.seen).hasSize(4);
        server.seen.forEach(ReferenceCountUtil::release);
        drainOutbound(channel);
        assertThat(channel.finishAndReleaseAll()).isFalse();
        assertThat(input.refCnt()).isZero();
    }
}
