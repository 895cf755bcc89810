package io.blockhaus.nbd;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class WritePayloadTest {
    @Test
    void anySplitGivesTheBytesBackInFewPiecesAndReleasesEverything() {
        long seed = Long.getLong("payload.seed", new SplittableRandom().nextLong());
        System.out.println("WritePayloadTest seed=" + seed + "   (replay: -Dpayload.seed=" + seed + ")");
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int round = 0; round < 50; round++) {
            int length = 1 + rnd.nextInt(4 << 20);
            byte[] data = new byte[length];
            rnd.nextBytes(data);
            WritePayload p = new WritePayload(UnpooledByteBufAllocator.DEFAULT, length);
            List<ByteBuf> chunks = new ArrayList<>();
            int large = 0;
            for (int off = 0; off < length; ) {
                int max = switch (rnd.nextInt(3)) {
                    case 0 -> 16;                 // a trickle
                    case 1 -> 8 * 1024;
                    default -> 256 * 1024;        // what a socket read brings
                };
                int n = Math.min(length - off, 1 + rnd.nextInt(max));
                ByteBuf chunk = Unpooled.directBuffer(n).writeBytes(data, off, n);
                p.add(chunk);
                large += n >= WritePayload.KEEP ? 1 : 0;
                chunks.add(chunk);
                off += n;
            }
            ByteBuf all = p.finish();
            chunks.forEach(ByteBuf::release); // as the handler does after each add
            assertThat(ByteBufUtil.getBytes(all)).as("seed %d round %d", seed, round).isEqualTo(data);
            int pieces = ((CompositeByteBuf) all).numComponents();
            assertThat(pieces).as("pieces for %d bytes, %d large chunks", length, large)
                    .isLessThanOrEqualTo(length / WritePayload.BLOCK + 2 * large + 1);
            all.release();
            assertThat(chunks).allSatisfy(c -> assertThat(c.refCnt()).isZero());
        }
    }

    @Test
    void aSmallWriteIsOnePieceOfItsOwnSize() {
        WritePayload p = new WritePayload(UnpooledByteBufAllocator.DEFAULT, 4096);
        ByteBuf a = Unpooled.directBuffer(100).writeZero(100);
        ByteBuf b = Unpooled.directBuffer(3996).writeZero(3996);
        p.add(a);
        p.add(b);
        ByteBuf all = p.finish();
        assertThat(all.nioBufferCount()).isEqualTo(1);
        assertThat(all.readableBytes()).isEqualTo(4096);
        assertThat(all.capacity()).isEqualTo(4096);
        a.release();
        b.release();
        all.release();
    }

    @Test
    void releaseBeforeTheEndFreesThePiecesAndTheBlock() {
        WritePayload p = new WritePayload(UnpooledByteBufAllocator.DEFAULT, 1 << 20);
        ByteBuf big = Unpooled.directBuffer(64 * 1024).writeZero(64 * 1024);
        ByteBuf small = Unpooled.directBuffer(10).writeZero(10);
        p.add(big);
        p.add(small);
        big.release();
        small.release();
        assertThat(big.refCnt()).as("the kept piece holds the chunk").isPositive();
        p.release();
        assertThat(big.refCnt()).isZero();
    }
}
