package io.blockhaus.nbd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.blockhaus.engine.Engine;
import io.blockhaus.engine.EngineConfig;
import io.blockhaus.engine.FileRange;
import io.blockhaus.engine.Handle;
import io.blockhaus.engine.KernelPageCache;
import io.blockhaus.engine.VolumeConfig;
import io.blockhaus.engine.store.SparseFileStore;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link CopyAtSendRegion}: a range of the volume's file copied just before each write to the
 * socket sends exactly the file's bytes however little the socket takes per write; a range
 * whose pages the kernel no longer holds is read plainly (and counted), not refused; and the one
 * buffer it may hold between writes goes back when the region is released, sent or not.
 */
class CopyAtSendRegionTest {
    private static final long SEED = Long.getLong("copy.seed", System.nanoTime());
    private static final int SIZE = 8 << 20;
    /** The first half of the file is written (resident); the second half is a hole the kernel holds no page of. */
    private static final int WRITTEN = SIZE / 2;

    static {
        System.out.println("CopyAtSendRegionTest seed " + SEED + " (repeat with -Dcopy.seed=" + SEED + ")");
    }

    @TempDir
    Path dir;

    private final Random rnd = new Random(SEED);
    private final CountingAllocator alloc = new CountingAllocator();
    private final SpliceCounters counters = new SpliceCounters();
    private Engine engine;
    private Handle handle;
    private byte[] data;

    @BeforeEach
    void open() {
        engine = new Engine(EngineConfig.withCache(1 << 20).withBackgroundThreads(false));
        handle = engine.open(VolumeConfig.of("v"), SparseFileStore.create(dir.resolve("v.img"), SIZE)).open();
        data = new byte[WRITTEN];
        rnd.nextBytes(data);
        handle.writeDirect(0, ByteBuffer.wrap(data), false); // through to the file: its pages are resident, clean
    }

    @AfterEach
    void close() {
        handle.close();
        engine.close();
    }

    private CopyAtSendRegion region(long offset, int length) {
        FileRange range = handle.fastPaths().readAsFileRange(offset, length);
        assertThat(range).as("a stream over resident, clean pages is handed out as a range").isNotNull();
        return new CopyAtSendRegion(handle.fastPaths(), range, alloc, counters);
    }

    /** Drives the region as the transport does: from {@code transferred()} until all is sent. */
    private static void sendAll(CopyAtSendRegion region, WritableByteChannel target) throws IOException {
        while (region.transferred() < region.count()) {
            region.transferTo(target, region.transferred());
        }
    }

    @Test
    void theFilesBytesExactlyHoweverLittleTheSocketTakes() throws IOException {
        int offset = 4096 * rnd.nextInt(64) + rnd.nextInt(4096); // not page-aligned either
        int length = 3 * CopyAtSendRegion.CHUNK + rnd.nextInt(100_000);
        CopyAtSendRegion region = region(offset, length);
        assertThat(region.position()).isEqualTo(offset);
        assertThat(region.count()).isEqualTo(length);
        Socket socket = new Socket(rnd, CopyAtSendRegion.CHUNK + 4096);
        sendAll(region, socket);
        assertThat(socket.bytes()).isEqualTo(Arrays.copyOfRange(data, offset, offset + length));
        assertThat(socket.writes).as("the socket took the chunks in parts").isGreaterThan(3);
        assertThat(counters.copiesRefused()).as("every page was in memory: no plain read").isZero();
        assertThat(alloc.live()).as("no buffer held once the socket took everything").isZero();
        assertThat(alloc.largest).as("buffers are bounded by the chunk, not the reply").isEqualTo(CopyAtSendRegion.CHUNK);
        assertThat(region.release()).isTrue();
    }

    /**
     * preadv2(RWF_NOWAIT) refuses a range whose pages the kernel evicted after the engine handed
     * it out (here dd's posix_fadvise DONTNEED over the file). The chunk is then read plainly, as
     * sendfile would have, and the reply is still exact.
     */
    @Test
    void aRangeTheKernelEvictedSinceIsReadPlainlyAndCounted() throws IOException {
        int offset = 4096 * rnd.nextInt(64);
        int length = CopyAtSendRegion.CHUNK + 1 + rnd.nextInt(4096);
        CopyAtSendRegion region = region(offset, length);
        handle.flush(); // clean in the kernel, so that dropping its pages drops them
        KernelPageCache.drop(dir.resolve("v.img"));
        Socket socket = new Socket(rnd, Integer.MAX_VALUE);
        sendAll(region, socket);
        assertThat(socket.bytes()).as("the file's bytes, all of them").isEqualTo(Arrays.copyOfRange(data, offset, offset + length));
        assertThat(counters.copiesRefused()).as("the first chunk at least was not in memory").isPositive();
        assertThat(alloc.live()).isZero();
        region.release();
    }

    @Test
    void aPartlySentChunkIsHeldUntilTheRegionIsReleased() throws IOException {
        CopyAtSendRegion region = region(0, 2 * CopyAtSendRegion.CHUNK);
        Socket socket = new Socket(rnd, 0);
        socket.takeAtMost = 1000;
        assertThat(region.transferTo(socket, 0)).isEqualTo(1000);
        socket.takeAtMost = 0; // the socket is full
        assertThat(region.transferTo(socket, region.transferred())).isZero();
        assertThat(alloc.live()).as("the rest of the chunk waits for the socket").isEqualTo(1);
        socket.takeAtMost = 5000;
        assertThat(region.transferTo(socket, region.transferred())).isEqualTo(5000);
        assertThat(alloc.made.size()).as("and is sent from the same buffer, not copied again").isEqualTo(1);
        assertThat(socket.bytes()).isEqualTo(Arrays.copyOf(data, 6000));
        assertThat(region.release()).as("the channel closed: the transport releases its messages").isTrue();
        assertThat(alloc.live()).as("the held buffer went back with the region").isZero();
    }

    @Test
    void aSocketErrorLeavesNothingBehindOnceTheRegionIsReleased() {
        CopyAtSendRegion region = region(0, CopyAtSendRegion.CHUNK);
        WritableByteChannel broken = new Socket(rnd, 0) {
            @Override
            public int write(ByteBuffer src) throws IOException {
                throw new IOException("Connection reset by peer");
            }
        };
        assertThatThrownBy(() -> region.transferTo(broken, 0)).hasMessageContaining("reset");
        assertThat(region.transferred()).isZero();
        region.release();
        assertThat(alloc.live()).isZero();
    }

    @Test
    void aFileShortenedBehindTheServersBackFailsTheSendAndFreesItsBuffer() throws IOException {
        FileRange range = handle.fastPaths().readAsFileRange(0, CopyAtSendRegion.CHUNK);
        FileRange pastTheEnd = new FileRange(range.channel(), SIZE - 4096, 8192);
        CopyAtSendRegion region = new CopyAtSendRegion(handle.fastPaths(), pastTheEnd, alloc, counters);
        assertThatThrownBy(() -> region.transferTo(new Socket(rnd, Integer.MAX_VALUE), 0))
                .isInstanceOf(java.io.EOFException.class);
        assertThat(alloc.live()).as("the chunk's buffer was given back at once").isZero();
        region.release();
    }

    @Test
    void onlyLoopbackPeersAreWorthCopyingFor() throws IOException {
        assertThat(CopyAtSendRegion.worthCopying(new InetSocketAddress("127.0.0.1", 10809))).isTrue();
        assertThat(CopyAtSendRegion.worthCopying(new InetSocketAddress(InetAddress.getByName("::1"), 10809))).isTrue();
        assertThat(CopyAtSendRegion.worthCopying(new InetSocketAddress(InetAddress.getByName("192.0.2.7"), 10809))).isFalse();
        assertThat(CopyAtSendRegion.worthCopying(InetSocketAddress.createUnresolved("localhost", 10809))).isFalse();
        assertThat(CopyAtSendRegion.worthCopying(null)).isFalse();
    }

    /** A non-blocking socket: each write takes a random share of what it is offered, at most {@code takeAtMost}. */
    private static class Socket implements WritableByteChannel {
        private final Random rnd;
        private final ByteArrayOutputStream sent = new ByteArrayOutputStream();
        int takeAtMost;
        int writes;

        Socket(Random rnd, int takeAtMost) {
            this.rnd = rnd;
            this.takeAtMost = takeAtMost;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            int n = Math.min(src.remaining(), takeAtMost);
            if (takeAtMost != Integer.MAX_VALUE && n > 0 && takeAtMost > CopyAtSendRegion.CHUNK) {
                n = 1 + rnd.nextInt(n); // sometimes all, mostly a part
            }
            byte[] b = new byte[n];
            src.get(b);
            sent.write(b);
            writes++;
            return n;
        }

        byte[] bytes() {
            return sent.toByteArray();
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {
        }
    }

    /** Direct buffers, each remembered, so a test can tell which are still held. */
    private static final class CountingAllocator extends AbstractByteBufAllocator {
        final List<ByteBuf> made = new ArrayList<>();
        int largest;

        CountingAllocator() {
            super(true);
        }

        @Override
        protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
            ByteBuf b = Unpooled.directBuffer(initialCapacity, maxCapacity);
            made.add(b);
            largest = Math.max(largest, maxCapacity);
            return b;
        }

        @Override
        protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
            return Unpooled.buffer(initialCapacity, maxCapacity);
        }

        @Override
        public boolean isDirectBufferPooled() {
            return false;
        }

        long live() {
            return made.stream().filter(b -> b.refCnt() > 0).count();
        }
    }
}
