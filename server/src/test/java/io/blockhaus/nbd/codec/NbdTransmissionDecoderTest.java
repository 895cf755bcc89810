package io.blockhaus.nbd.codec;

import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.nbd.codec.NbdDecoderException.Reason;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class NbdTransmissionDecoderTest {
    private static final int MAX_PAYLOAD = 4096;

    private NbdTransmissionDecoder decoder;
    private EmbeddedChannel channel;
    private Feeder feeder;

    @AfterEach
    void tearDown() {
        feeder.finish();
    }

    private List<Object> decode(boolean extended, Feeder.Mode mode, byte[] bytes) {
        decoder = new NbdTransmissionDecoder(extended, MAX_PAYLOAD);
        channel = new EmbeddedChannel(decoder);
        feeder = new Feeder(channel, mode).feed(bytes);
        return feeder.messages();
    }

    /** Requests in order, each with its payload chunks joined, checking exactly one last chunk. */
    private static List<Object[]> group(List<Object> messages) {
        List<Object[]> out = new ArrayList<>();
        ByteArrayOutputStream payload = null;
        NbdRequest current = null;
        for (Object m : messages) {
            if (m instanceof NbdRequest r) {
                assertThat(payload).as("previous payload finished").isNull();
                current = r;
                if (r.hasPayload()) {
                    payload = new ByteArrayOutputStream();
                } else {
                    out.add(new Object[] {r, null});
                }
            } else {
                NbdPayloadChunk c = (NbdPayloadChunk) m;
                assertThat(payload).as("chunk belongs to a request with payload").isNotNull();
                payload.writeBytes(ByteBufUtil.getBytes(c.content()));
                if (c.last()) {
                    out.add(new Object[] {current, payload.toByteArray()});
                    payload = null;
                }
            }
        }
        assertThat(payload).as("no unfinished payload").isNull();
        return out;
    }

    @ParameterizedTest
    @EnumSource(Feeder.Mode.class)
    void decodesEveryCompactCommandBackToBack(Feeder.Mode mode) {
        byte[] data = Bytes.filled(1000, 7);
        byte[] input = Bytes.of()
                .raw(Bytes.request(0, 0, 1, 512, 4096))                                     // READ
                .raw(Bytes.request(NbdCommandFlags.FUA, 1, 2, 1024, data.length)).raw(data) // WRITE
                .raw(Bytes.request(0, 1, 3, 0, 0))                                          // empty WRITE
                .raw(Bytes.request(0, 3, 4, 0, 0))                                          // FLUSH
                .raw(Bytes.request(0, 4, 5, 4096, 8192))                                    // TRIM
                .raw(Bytes.request(0, 5, 6, 0, 65536))                                      // CACHE
                .raw(Bytes.request(NbdCommandFlags.NO_HOLE | NbdCommandFlags.FAST_ZERO, 6, 7, 0, 0xFFFF_FFFFL))
                .raw(Bytes.request(NbdCommandFlags.REQ_ONE, 7, 8, 0, 1 << 20))              // BLOCK_STATUS
                .raw(Bytes.request(0, 8, 9, 1L << 40, 0))                                   // RESIZE
                .raw(Bytes.request(0x8000, 0x1234, -1L, -1L, 17))                           // unknown cmd+flag
                .raw(Bytes.request(0, 2, 10, 0, 0))                                         // DISC
                .build();
        List<Object[]> requests = group(decode(false, mode, input));

        assertThat(requests).extracting(r -> (NbdRequest) r[0]).containsExactly(
                req(0, NbdCommand.READ, 1, 512, 4096, false),
                req(NbdCommandFlags.FUA, NbdCommand.WRITE, 2, 1024, data.length, true),
                req(0, NbdCommand.WRITE, 3, 0, 0, true),
                req(0, NbdCommand.FLUSH, 4, 0, 0, false),
                req(0, NbdCommand.TRIM, 5, 4096, 8192, false),
                req(0, NbdCommand.CACHE, 6, 0, 65536, false),
                req(NbdCommandFlags.NO_HOLE | NbdCommandFlags.FAST_ZERO, NbdCommand.WRITE_ZEROES, 7, 0, 0xFFFF_FFFFL, false),
                req(NbdCommandFlags.REQ_ONE, NbdCommand.BLOCK_STATUS, 8, 0, 1 << 20, false),
                req(0, NbdCommand.RESIZE, 9, 1L << 40, 0, false),
                req(0x8000, NbdCommand.valueOf(0x1234), -1L, -1L, 17, false),
                req(0, NbdCommand.DISC, 10, 0, 0, false));
        assertThat(requests.get(1)[1]).isEqualTo(data);
        assertThat(requests.get(2)[1]).isEqualTo(new byte[0]);
        NbdRequest unknown = (NbdRequest) requests.get(9)[0];
        assertThat(unknown.command().isKnown()).isFalse();
        assertThat(unknown.flags().unknownBits()).isEqualTo(0x8000);
        assertThat(decoder.state()).isEqualTo(NbdTransmissionDecoder.State.READ_HEADER);
        assertThat(decoder.buffered()).isZero();
    }

    private static NbdRequest req(int flags, NbdCommand cmd, long cookie, long offset, long length, boolean payload) {
        return new NbdRequest(new NbdCommandFlags(flags), cmd, cookie, offset, length, false, payload);
    }

    @ParameterizedTest
    @EnumSource(Feeder.Mode.class)
    void decodesExtendedHeadersWithPayloadsAndSixtyFourBitLengths(Feeder.Mode mode) {
        byte[] data = Bytes.filled(300, 1);
        byte[] status = Bytes.of().u64(1L << 33).u32(1).build();  // BLOCK_STATUS payload: effect length, ids
        int pl = NbdCommandFlags.PAYLOAD_LEN;
        byte[] input = Bytes.of()
                .raw(Bytes.extendedRequest(pl | NbdCommandFlags.FUA, 1, 11, 1L << 41, data.length)).raw(data)
                .raw(Bytes.extendedRequest(pl, 7, 12, 0, status.length)).raw(status)
                .raw(Bytes.extendedRequest(0, 0, 13, 0, 5L << 30))      // READ 5 GiB effect length
                .raw(Bytes.extendedRequest(0, 4, 14, 0, -1L))           // TRIM 2^64-1, unsigned
                .build();
        List<Object[]> requests = group(decode(true, mode, input));

        assertThat(requests).extracting(r -> (NbdRequest) r[0]).containsExactly(
                new NbdRequest(new NbdCommandFlags(pl | 1), NbdCommand.WRITE, 11, 1L << 41, data.length, true, true),
                new NbdRequest(new NbdCommandFlags(pl), NbdCommand.BLOCK_STATUS, 12, 0, status.length, true, true),
                new NbdRequest(NbdCommandFlags.NONE, NbdCommand.READ, 13, 0, 5L << 30, true, false),
                new NbdRequest(NbdCommandFlags.NONE, NbdCommand.TRIM, 14, 0, -1L, true, false));
        assertThat(requests.get(0)[1]).isEqualTo(data);
        assertThat(requests.get(1)[1]).isEqualTo(status);
        assertThat(decoder.buffered()).isZero();
    }

    @ParameterizedTest
    @EnumSource(Feeder.Mode.class)
    void wrongMagicFailsAndStopsDecoding(Feeder.Mode mode) {
        byte[] input = Bytes.of()
                .raw(Bytes.request(0, 0, 1, 0, 512))
                .raw(Bytes.extendedRequest(0, 0, 2, 0, 512))     // extended magic on a compact stream
                .raw(Bytes.request(0, 0, 3, 0, 512))
                .build();
        List<Object> out = decode(false, mode, input);

        assertThat(out).hasSize(2);
        NbdRequest bad = (NbdRequest) out.get(1);
        assertThat(bad.isFailure()).isTrue();
        assertThat(NbdDecoderException.reasonOf(bad.decoderResult())).isEqualTo(Reason.BAD_MAGIC);
        assertThat(decoder.state()).isEqualTo(NbdTransmissionDecoder.State.BAD_MESSAGE);
    }

    @ParameterizedTest
    @EnumSource(Feeder.Mode.class)
    void tooLargeWriteIsReportedAndItsPayloadSkipped(Feeder.Mode mode) {
        byte[] big = Bytes.filled(MAX_PAYLOAD + 1, 2);
        byte[] input = Bytes.of()
                .raw(Bytes.request(0, 1, 1, 0, big.length)).raw(big)
                .raw(Bytes.request(0, 3, 2, 0, 0))
                .build();
        List<Object> out = decode(false, mode, input);

        assertThat(out).hasSize(3);
        NbdRequest tooLarge = (NbdRequest) out.get(0);
        assertThat(tooLarge.cookie()).isEqualTo(1);
        assertThat(tooLarge.hasPayload()).isFalse();
        assertThat(NbdDecoderException.reasonOf(tooLarge.decoderResult())).isEqualTo(Reason.PAYLOAD_TOO_LARGE);
        assertThat(Reason.PAYLOAD_TOO_LARGE.recoverable()).isTrue();
        assertThat(out.get(1)).as("an empty last chunk marks the end of the skipped payload")
                .isEqualTo(NbdPayloadChunk.EMPTY_LAST);
        assertThat(out.get(2)).isEqualTo(req(0, NbdCommand.FLUSH, 2, 0, 0, false));
        assertThat(decoder.buffered()).isZero();
    }

    @ParameterizedTest
    @EnumSource(Feeder.Mode.class)
    void fourGibibyteWriteIsUnrecoverable(Feeder.Mode mode) {
        byte[] input = Bytes.of().raw(Bytes.request(0, 1, 1, 0, 0xFFFF_FFFFL)).raw(Bytes.filled(100, 0)).build();
        List<Object> out = decode(false, mode, input);

        assertThat(out).hasSize(1);
        NbdRequest bad = (NbdRequest) out.get(0);
        assertThat(bad.length()).isEqualTo(0xFFFF_FFFFL);
        assertThat(NbdDecoderException.reasonOf(bad.decoderResult())).isEqualTo(Reason.PAYLOAD_UNRECOVERABLE);
        assertThat(decoder.state()).isEqualTo(NbdTransmissionDecoder.State.BAD_MESSAGE);
    }

    @Test
    void extendedFourGibibytePayloadIsUnrecoverable() {
        List<Object> out = decode(true, Feeder.Mode.WHOLE,
                Bytes.extendedRequest(NbdCommandFlags.PAYLOAD_LEN, 1, 1, 0, 1L << 32).build());

        assertThat(out).singleElement().satisfies(m -> assertThat(
                NbdDecoderException.reasonOf(((NbdRequest) m).decoderResult())).isEqualTo(Reason.PAYLOAD_UNRECOVERABLE));
    }

    @ParameterizedTest
    @EnumSource(Feeder.Mode.class)
    void truncatedPayloadThenCloseLeaksNothing(Feeder.Mode mode) {
        byte[] input = Bytes.of().raw(Bytes.request(0, 1, 1, 0, 1000)).raw(Bytes.filled(600, 0)).build();
        List<Object> out = decode(false, mode, input);

        assertThat(out.get(0)).isEqualTo(req(0, NbdCommand.WRITE, 1, 0, 1000, true));
        assertThat(out.subList(1, out.size())).allSatisfy(c -> assertThat(((NbdPayloadChunk) c).last()).isFalse())
                .extracting(c -> ((NbdPayloadChunk) c).content().readableBytes())
                .satisfies(sizes -> assertThat(sizes.stream().mapToInt(Integer::intValue).sum()).isEqualTo(600));
        assertThat(decoder.state()).isEqualTo(NbdTransmissionDecoder.State.READ_PAYLOAD);
    }

    @Test
    void largeWriteStreamsInChunksWithoutAggregation() {
        int length = 32 * 1024 * 1024;
        int piece = 64 * 1024;
        decoder = new NbdTransmissionDecoder(false, length);
        channel = new EmbeddedChannel(decoder);
        feeder = new Feeder(channel, Feeder.Mode.WHOLE).feed(Bytes.request(0, 1, 1, 0, length).build());
        assertThat(feeder.messages()).hasSize(1);

        byte[] block = Bytes.filled(piece, 5);
        long seen = 0;
        int chunks = 0;
        for (int i = 0; i < length / piece; i++) {
            feeder.feed(block);
            List<Object> all = feeder.messages();
            NbdPayloadChunk chunk = (NbdPayloadChunk) all.get(all.size() - 1);
            // Each arrival yields its chunk right away; nothing waits for the whole payload.
            assertThat(chunk.content().readableBytes()).isEqualTo(piece);
            assertThat(chunk.last()).isEqualTo(i == length / piece - 1);
            seen += chunk.content().readableBytes();
            chunk.release();
            all.remove(all.size() - 1);
            chunks++;
        }
        assertThat(seen).isEqualTo(length);
        assertThat(chunks).isEqualTo(length / piece);
        assertThat(decoder.buffered()).isZero();
    }

    /**
     * A handler that takes a payload out of the socket itself (splice) tells the decoder, which
     * then expects only the rest: here the first 600 of 1000 bytes never reach it, the other 400
     * do, and the next request is found where it should be.
     */
    @Test
    void aPayloadTakenOutOfBandIsSkippedAndTheStreamStaysAligned() {
        decoder = new NbdTransmissionDecoder(false, MAX_PAYLOAD);
        channel = new EmbeddedChannel(decoder);
        feeder = new Feeder(channel, Feeder.Mode.WHOLE);
        byte[] data = Bytes.filled(1000, 3);
        NbdRequest write = (NbdRequest) feeder.feed(Bytes.request(0, 1, 9, 4096, data.length).build()).messages().getLast();
        assertThat(write.length()).isEqualTo(1000);
        assertThat(decoder.payloadUnread(write)).as("nothing of it received yet").isTrue();
        decoder.payloadTaken(600);
        assertThat(decoder.payloadUnread(write)).as("partly taken").isFalse();
        byte[] rest = java.util.Arrays.copyOfRange(data, 600, 1000);
        List<Object> got = feeder.feed(Bytes.of().raw(rest).raw(Bytes.request(0, 3, 10, 0, 0)).build()).messages();
        assertThat(got).hasSize(3);
        NbdPayloadChunk chunk = (NbdPayloadChunk) got.get(1);
        assertThat(ByteBufUtil.getBytes(chunk.content())).as("only the rest reaches the decoder").isEqualTo(rest);
        assertThat(chunk.last()).isTrue();
        NbdRequest flush = (NbdRequest) got.get(2);
        assertThat(flush.command()).isEqualTo(NbdCommand.FLUSH);
        assertThat(flush.cookie()).isEqualTo(10);

        NbdRequest whole = (NbdRequest) feeder.feed(Bytes.request(0, 1, 11, 0, data.length).build()).messages().getLast();
        decoder.payloadTaken(1000);
        assertThat(decoder.state()).as("all of it taken: a header is next").isEqualTo(NbdTransmissionDecoder.State.READ_HEADER);
        assertThat(decoder.payloadUnread(whole)).isFalse();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> decoder.payloadTaken(1))
                .as("nothing to take between requests").isInstanceOf(IllegalStateException.class);
        assertThat(decoder.buffered()).isZero();
    }
}
