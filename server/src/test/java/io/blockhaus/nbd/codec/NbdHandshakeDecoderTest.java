package io.blockhaus.nbd.codec;

import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.nbd.codec.NbdDecoderException.Reason;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class NbdHandshakeDecoderTest {
    private final NbdHandshakeDecoder decoder = new NbdHandshakeDecoder();
    private final EmbeddedChannel channel = new EmbeddedChannel(decoder);
    private Feeder feeder;

    @AfterEach
    void tearDown() {
        feeder.finish();
    }

    private List<Object> decode(Feeder.Mode mode, byte[] bytes) {
        feeder = new Feeder(channel, mode).feed(bytes);
        return feeder.messages();
    }

    @ParameterizedTest
    @EnumSource(Feeder.Mode.class)
    void decodesEveryOptionInOneStream(Feeder.Mode mode) {
        byte[] input = Bytes.of()
                .u32(NbdClientFlags.FIXED_NEWSTYLE | NbdClientFlags.NO_ZEROES)
                .raw(Bytes.option(8, new byte[0]))                                   // STRUCTURED_REPLY
                .raw(Bytes.option(11, new byte[0]))                                  // EXTENDED_HEADERS
                .raw(Bytes.option(3, new byte[0]))                                   // LIST
                .raw(Bytes.option(5, new byte[0]))                                   // STARTTLS
                .raw(Bytes.option(2, new byte[] {1, 2}))                             // ABORT with stray data
                .raw(Bytes.option(0x4242, new byte[] {9, 9, 9}))                     // unknown
                .raw(Bytes.option(6, Bytes.of().str32("disk").u16(2).u16(0).u16(3).build()))      // INFO
                .raw(Bytes.option(7, Bytes.of().str32("").u16(1).u16(99).build()))                // GO
                .raw(Bytes.option(9, Bytes.of().str32("disk").u32(0).build()))                    // LIST_META
                .raw(Bytes.option(10, Bytes.of().str32("disk").u32(2)
                        .str32("base:allocation").str32("qemu:dirty-bitmap:x").build()))          // SET_META
                .raw(Bytes.option(1, "exp\u00e9rt".getBytes(java.nio.charset.StandardCharsets.UTF_8))) // EXPORT_NAME
                .build();

        assertThat(decode(mode, input)).containsExactly(
                new NbdClientFlags(3),
                new NbdOptionRequest.Plain(NbdOption.STRUCTURED_REPLY, 0),
                new NbdOptionRequest.Plain(NbdOption.EXTENDED_HEADERS, 0),
                new NbdOptionRequest.Plain(NbdOption.LIST, 0),
                new NbdOptionRequest.Plain(NbdOption.STARTTLS, 0),
                new NbdOptionRequest.Plain(NbdOption.ABORT, 2),
                new NbdOptionRequest.Plain(NbdOption.valueOf(0x4242), 3),
                new NbdOptionRequest.Info(NbdOption.INFO, "disk", List.of(NbdInfoType.EXPORT, NbdInfoType.BLOCK_SIZE)),
                new NbdOptionRequest.Info(NbdOption.GO, "", List.of(NbdInfoType.valueOf(99))),
                new NbdOptionRequest.MetaContext(NbdOption.LIST_META_CONTEXT, "disk", List.of()),
                new NbdOptionRequest.MetaContext(NbdOption.SET_META_CONTEXT, "disk",
                        List.of("base:allocation", "qemu:dirty-bitmap:x")),
                new NbdOptionRequest.ExportName("expért"));
        assertThat(decoder.state()).isEqualTo(NbdHandshakeDecoder.State.HANDSHAKE_DONE);
        assertThat(decoder.buffered()).isZero();
        assertThat(NbdOption.valueOf(0x4242).isKnown()).isFalse();
    }

    @ParameterizedTest
    @EnumSource(Feeder.Mode.class)
    void leavesBytesAfterExportNameForTheNextPhase(Feeder.Mode mode) {
        byte[] request = Bytes.request(0, 0, 1, 0, 512).build();
        List<Object> out = decode(mode, Bytes.of().u32(1).raw(Bytes.option(1, new byte[0])).raw(request).build());

        assertThat(out).containsExactly(new NbdClientFlags(1), new NbdOptionRequest.ExportName(""));
        assertThat(decoder.buffered()).isEqualTo(request.length);
    }

    @ParameterizedTest
    @EnumSource(Feeder.Mode.class)
    void wrongOptionMagicFailsAndIgnoresTheRest(Feeder.Mode mode) {
        byte[] input = Bytes.of().u32(1)
                .u64(0x4e42444d41474943L).u32(7).u32(0)        // NBDMAGIC where IHAVEOPT belongs
                .raw(Bytes.option(8, new byte[0]))
                .build();
        List<Object> out = decode(mode, input);

        assertThat(out).hasSize(2);
        NbdOptionRequest failed = (NbdOptionRequest) out.get(1);
        assertThat(NbdDecoderException.reasonOf(failed.decoderResult())).isEqualTo(Reason.BAD_MAGIC);
        assertThat(Reason.BAD_MAGIC.recoverable()).isFalse();
        assertThat(decoder.state()).isEqualTo(NbdHandshakeDecoder.State.BAD_MESSAGE);
    }

    @ParameterizedTest
    @EnumSource(Feeder.Mode.class)
    void oversizedOptionIsReportedThenSkippedAndTheNextOptionDecodes(Feeder.Mode mode) {
        int tooBig = NbdLimits.MAX_OPTION_LENGTH + 1;
        byte[] input = Bytes.of().u32(1)
                .raw(Bytes.option(7, Bytes.filled(tooBig, 1)))
                .raw(Bytes.option(8, new byte[0]))
                .build();
        List<Object> out = decode(mode, input);

        assertThat(out).hasSize(3);
        NbdOptionRequest.Plain failed = (NbdOptionRequest.Plain) out.get(1);
        assertThat(failed.option()).isEqualTo(NbdOption.GO);
        assertThat(failed.dataLength()).isEqualTo(tooBig);
        assertThat(NbdDecoderException.reasonOf(failed.decoderResult())).isEqualTo(Reason.OPTION_TOO_BIG);
        assertThat(out.get(2)).isEqualTo(new NbdOptionRequest.Plain(NbdOption.STRUCTURED_REPLY, 0));
        assertThat(decoder.buffered()).isZero();
    }

    @ParameterizedTest
    @EnumSource(Feeder.Mode.class)
    void fourGibibyteOptionIsReportedAtOnceAndNeverBuffered(Feeder.Mode mode) {
        byte[] input = Bytes.of().u32(1).u64(NbdMagic.IHAVEOPT).u32(1).u32(0xFFFF_FFFFL)
                .raw(Bytes.filled(1000, 3)).build();
        List<Object> out = decode(mode, input);

        assertThat(out).hasSize(2);
        NbdOptionRequest.Plain failed = (NbdOptionRequest.Plain) out.get(1);
        assertThat(failed.dataLength()).isEqualTo(0xFFFF_FFFFL);
        assertThat(NbdDecoderException.reasonOf(failed.decoderResult())).isEqualTo(Reason.OPTION_TOO_BIG);
        assertThat(decoder.state()).isEqualTo(NbdHandshakeDecoder.State.SKIP_OPTION_DATA);
        assertThat(decoder.buffered()).isZero();
    }

    @ParameterizedTest
    @EnumSource(Feeder.Mode.class)
    void malformedOptionsFailButKeepTheStreamInStep(Feeder.Mode mode) {
        byte[] longName = Bytes.filled(NbdLimits.MAX_STRING_LENGTH + 1, 0);
        java.util.Arrays.fill(longName, (byte) 'a');
        byte[] input = Bytes.of().u32(1)
                .raw(Bytes.option(7, Bytes.of().u32(100).ascii("x").u16(0).build()))            // name overruns
                .raw(Bytes.option(6, Bytes.of().str32("x").u16(2).u16(0).build()))              // 2 requests, 1 sent
                .raw(Bytes.option(10, Bytes.of().str32("x").u32(1).str32("q").u8(0).build()))   // trailing byte
                .raw(Bytes.option(9, Bytes.of().str32("x").u32(0x7fff_ffff).build()))           // absurd count
                .raw(Bytes.option(7, Bytes.of().u32(2).u8(0xc3).u8(0x28).u16(0).build()))      // bad UTF-8
                .raw(Bytes.option(6, Bytes.of().u32(3).ascii("a\0b").u16(0).build()))           // NUL in name
                .raw(Bytes.option(3, new byte[0]))
                .raw(Bytes.option(1, longName))                                                 // name > 4096
                .build();
        List<Object> out = decode(mode, input);

        assertThat(out).hasSize(9);
        assertThat(out.subList(1, 7)).extracting(o -> NbdDecoderException.reasonOf(((NbdOptionRequest) o).decoderResult()))
                .containsOnly(Reason.MALFORMED_OPTION);
        assertThat(out.get(7)).isEqualTo(new NbdOptionRequest.Plain(NbdOption.LIST, 0));
        NbdOptionRequest tooLong = (NbdOptionRequest) out.get(8);
        assertThat(tooLong.option()).isEqualTo(NbdOption.EXPORT_NAME);
        assertThat(NbdDecoderException.reasonOf(tooLong.decoderResult())).isEqualTo(Reason.STRING_TOO_LONG);
        assertThat(decoder.buffered()).isZero();
    }

    @ParameterizedTest
    @EnumSource(Feeder.Mode.class)
    void truncatedOptionThenCloseEmitsNothingAndLeaksNothing(Feeder.Mode mode) {
        byte[] option = Bytes.option(7, Bytes.of().str32("disk").u16(0).build()).build();
        List<Object> out = decode(mode, Bytes.of().u32(1).raw(java.util.Arrays.copyOf(option, option.length - 3)).build());

        assertThat(out).containsExactly(new NbdClientFlags(1));
        assertThat(decoder.state()).isEqualTo(NbdHandshakeDecoder.State.READ_OPTION_DATA);
    }

    @ParameterizedTest
    @EnumSource(Feeder.Mode.class)
    void unknownClientFlagsAreKept(Feeder.Mode mode) {
        List<Object> out = decode(mode, Bytes.of().u32(0x8000_0005L).build());

        assertThat(out).containsExactly(new NbdClientFlags(0x8000_0005));
        assertThat(((NbdClientFlags) out.get(0)).unknownBits()).isEqualTo(0x8000_0004);
    }
}
