package io.blockhaus.nbd.codec;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;

/**
 * Feeds bytes to an {@link EmbeddedChannel} in the ways that break framing bugs (whole, byte by
 * byte, odd batch sizes) and checks at the end that every buffer fed in was released, which is
 * what a leak would violate.
 */
final class Feeder {
    enum Mode {
        WHOLE, BYTE_BY_BYTE, ODD_BATCHES
    }

    private static final int[] ODD = {3, 7, 1, 13, 5, 29, 11};

    private final EmbeddedChannel channel;
    private final Mode mode;
    private final List<ByteBuf> fed = new ArrayList<>();
    private final List<Object> received = new ArrayList<>();

    Feeder(EmbeddedChannel channel, Mode mode) {
        this.channel = channel;
        this.mode = mode;
    }

    Feeder feed(byte[] bytes) {
        int i = 0;
        int batch = 0;
        while (i < bytes.length) {
            int n = switch (mode) {
                case WHOLE -> bytes.length;
                case BYTE_BY_BYTE -> 1;
                case ODD_BATCHES -> ODD[batch++ % ODD.length];
            };
            n = Math.min(n, bytes.length - i);
            ByteBuf buf = Unpooled.copiedBuffer(bytes, i, n);
            fed.add(buf);
            channel.writeInbound(buf);
            i += n;
        }
        return this;
    }

    /** Everything decoded so far; the caller must have these released via {@link #finish}. */
    List<Object> messages() {
        for (Object m; (m = channel.readInbound()) != null; ) {
            received.add(m);
        }
        return received;
    }

    /** Closes the channel, releases everything decoded, and asserts no input buffer survived. */
    void finish() {
        messages();
        assertThat(channel.finishAndReleaseAll()).as("nothing decoded on close").isFalse();
        received.forEach(ReferenceCountUtil::release);
        assertThat(fed).allSatisfy(b -> assertThat(b.refCnt()).as("input buffer released").isZero());
    }
}
