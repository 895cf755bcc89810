package io.blockhaus.nbd;

import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.engine.VolumeConfig;
import io.blockhaus.nbd.NbdTestClient.Chunk;
import io.blockhaus.nbd.NbdTestClient.Extent;
import io.blockhaus.nbd.NbdTestClient.Mode;
import io.blockhaus.nbd.NbdTestClient.Result;
import io.blockhaus.nbd.codec.NbdCommand;
import io.blockhaus.nbd.codec.NbdCommandFlags;
import io.blockhaus.nbd.codec.NbdReplyType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * NBD_OPT_EXTENDED_HEADERS: 32-byte requests with 64-bit lengths, 32-byte replies that echo the
 * request's offset, BLOCK_STATUS_EXT, errors as error chunks. No Debian 12 client speaks this, so
 * only our own client tests it. The volume is an 8 GiB sparse memory store.
 */
class NbdExtendedHeadersTest {
    private static final long GIB = 1L << 30;
    private static final long SIZE = 8 * GIB;
    private static final long SEED = System.nanoTime();
    private static final int EINVAL = 22;

    private static NbdTestServer server;

    @BeforeAll
    static void start() throws InterruptedException {
        System.out.println("NbdExtendedHeadersTest seed " + SEED);
        server = NbdTestServer.memory(NbdTestServer.config(), SIZE, VolumeConfig.of("big"));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static NbdTestClient open() throws IOException {
        NbdTestClient c = NbdTestClient.open(server.port(), Mode.EXTENDED, "big");
        assertThat(c.extended()).isTrue();
        assertThat(c.exportSize()).isEqualTo(SIZE);
        return c;
    }

    /** Every message of the reply is an extended chunk echoing the request's offset; the last is DONE. */
    private static void assertExtendedReply(Result r, long requestOffset) {
        assertThat(r.messages()).isNotEmpty().allSatisfy(m -> {
            assertThat(m).isInstanceOf(Chunk.class);
            Chunk c = (Chunk) m;
            assertThat(c.extended()).isTrue();
            assertThat(c.offset()).isEqualTo(requestOffset);
        });
        assertThat(r.messages().getLast().done()).isTrue();
    }

    private static void assertNone(Result r, long requestOffset) {
        assertThat(r.ok()).as("%s", r).isTrue();
        assertExtendedReply(r, requestOffset);
        assertThat(r.chunks()).singleElement().satisfies(c -> assertThat(c.type()).isEqualTo(NbdReplyType.NONE.code()));
    }

    @Test
    void readAndWriteWithPayloadLenRoundTrip() throws IOException {
        Random rnd = new Random(SEED);
        long off = 5 * GIB + 12345; // beyond 4 GiB: needs the 64-bit offset too
        byte[] data = new byte[200_000];
        rnd.nextBytes(data);
        try (NbdTestClient c = open()) {
            Result w = c.write(off, data);
            assertNone(w, off);
            Result r = c.read(off, data.length, NbdCommandFlags.DF);
            assertThat(r.ok()).isTrue();
            assertExtendedReply(r, off);
            assertThat(r.chunks()).singleElement()
                    .satisfies(ch -> assertThat(ch.type()).isEqualTo(NbdReplyType.OFFSET_DATA.code()));
            assertThat(r.data()).isEqualTo(data);
            // Without DF a sparse-enough read may come as holes and data; the bytes are the same.
            Result sparse = c.read(off - 100_000, 400_000);
            assertExtendedReply(sparse, off - 100_000);
            byte[] expected = new byte[400_000];
            System.arraycopy(data, 0, expected, 100_000, data.length);
            assertThat(sparse.data()).isEqualTo(expected);
        }
    }

    @Test
    void flushTrimAndWriteZeroesTakeSixtyFourBitLengths() throws IOException {
        Random rnd = new Random(SEED + 1);
        try (NbdTestClient c = open()) {
            byte[] a = new byte[65536];
            rnd.nextBytes(a);
            c.writeOk(GIB, a);
            c.writeOk(6 * GIB, a);
            assertNone(c.flush(), 0);
            // One TRIM of 5 GiB (does not fit the compact header's 32-bit length).
            Result trim = c.trim(GIB - 4096, 5 * GIB);
            assertNone(trim, GIB - 4096);
            assertThat(c.readOk(GIB, 65536)).containsOnly(0);
            assertThat(c.readOk(6 * GIB, 65536)).isEqualTo(a);
            // One WRITE_ZEROES of 4.5 GiB covering the second write.
            Result z = c.writeZeroes(3 * GIB, 4 * GIB + GIB / 2, 0);
            assertNone(z, 3 * GIB);
            assertThat(c.readOk(6 * GIB, 65536)).containsOnly(0);
            assertNone(c.cache(0, 1 << 20), 0);
        }
    }

    @Test
    void blockStatusOverMoreThanFourGibIsAnsweredWithSixtyFourBitExtents() throws IOException {
        try (NbdTestClient c = open()) {
            long dataAt = 7 * GIB;
            byte[] a = new byte[65536];
            new Random(SEED + 2).nextBytes(a);
            c.writeOk(dataAt, a);
            Result bs = c.blockStatus(0, SIZE, 0);
            assertThat(bs.ok()).as("%s", bs).isTrue();
            assertExtendedReply(bs, 0);
            assertThat(bs.chunks(NbdReplyType.BLOCK_STATUS_EXT)).hasSize(1);
            assertThat(bs.chunks(NbdReplyType.BLOCK_STATUS)).isEmpty();
            List<Extent> ext = bs.extents();
            assertThat(ext.getFirst().length()).as("%s", ext).isGreaterThan(4 * GIB);
            // Walk the extents: the data written at 7 GiB is reported as data, all else as hole.
            long pos = 0;
            boolean sawData = false;
            for (Extent e : ext) {
                boolean coversData = pos < dataAt + a.length && pos + e.length() > dataAt;
                if (e.flags() == 0) {
                    sawData = true;
                    assertThat(coversData).as("data extent at %d: %s", pos, ext).isTrue();
                } else {
                    assertThat(e.flags()).isEqualTo(3);
                    assertThat(coversData).as("hole extent at %d: %s", pos, ext).isFalse();
                }
                pos += e.length();
            }
            assertThat(sawData).isTrue();
            assertThat(pos).isLessThanOrEqualTo(SIZE).isGreaterThan(dataAt);
            // Context id is the one SET_META_CONTEXT gave base:allocation (non-zero).
            assertThat(ByteBuffer.wrap(bs.chunks().getFirst().payload()).getInt()).isNotZero();

            Result one = c.blockStatus(0, SIZE, NbdCommandFlags.REQ_ONE);
            assertThat(one.extents()).hasSize(1);
            assertThat(one.extents().getFirst().length()).isEqualTo(dataAt);
        }
    }

    @Test
    void errorsAreStructuredErrorChunks() throws IOException {
        try (NbdTestClient c = open()) {
            Result past = c.read(SIZE, 4096);
            assertThat(past.error()).isEqualTo(EINVAL);
            assertExtendedReply(past, SIZE);
            assertThat(past.chunks()).singleElement()
                    .satisfies(ch -> assertThat(ch.type()).isEqualTo(NbdReplyType.ERROR.code()));

            Result tooBig = c.read(0, 64 << 20);
            assertThat(tooBig.error()).isIn(75, EINVAL); // EOVERFLOW preferred
            assertExtendedReply(tooBig, 0);

            Result unknown = c.request(0, NbdCommand.valueOf(77), 4096, 0, null);
            assertThat(unknown.error()).isEqualTo(EINVAL);
            assertExtendedReply(unknown, 4096);
            assertThat(c.readOk(0, 16)).hasSize(16);
        }
    }

    @Test
    void writeWithoutPayloadLenIsInvalidAndTheConnectionGoesOn() throws IOException {
        try (NbdTestClient c = open()) {
            // Without PAYLOAD_LEN the length is an effect length: no payload follows the header.
            long cookie = c.send(0, NbdCommand.WRITE, 8192, 4096, null);
            Result r = c.await(cookie);
            assertThat(r.error()).isEqualTo(EINVAL);
            assertExtendedReply(r, 8192);
            assertThat(r.chunks().getFirst().type()).isEqualTo(NbdReplyType.ERROR.code());
            byte[] one = {42};
            c.writeOk(8192, one);
            assertThat(c.readOk(8192, 1)).containsExactly(42);
        }
    }

    @Test
    void compactRequestMagicUnderExtendedHeadersDisconnects() throws IOException {
        try (NbdTestClient c = open()) {
            c.writeHeader(0x25609513, 1, 0, NbdCommand.READ.code(), 0, 512);
            c.flushOut();
            assertThat(c.awaitClosed(java.time.Duration.ofSeconds(10))).isTrue();
        }
    }
}
