package io.blockhaus.nbd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.blockhaus.engine.Engine;
import io.blockhaus.engine.EngineConfig;
import io.blockhaus.engine.ForwardingStore;
import io.blockhaus.engine.Handle;
import io.blockhaus.engine.Volume;
import io.blockhaus.engine.VolumeConfig;
import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import io.blockhaus.engine.store.BackingStore;
import io.blockhaus.engine.store.SparseFileStore;
import io.blockhaus.nbd.codec.NbdCommand;
import io.blockhaus.nbd.codec.NbdCommandFlags;
import io.blockhaus.nbd.codec.NbdReadReply;
import io.blockhaus.nbd.codec.NbdReplyChunk;
import io.blockhaus.nbd.codec.NbdRequest;
import io.blockhaus.nbd.codec.NbdSimpleFileReply;
import io.blockhaus.tls.PeerIdentity;
import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.util.ReferenceCountUtil;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A loopback connection's buffered file ranges are read on the worker into the reply's own
 * buffer (ReadReplies' class comment): the messages carry the file's bytes, a copy of the whole
 * READ is its final chunk, a sparse READ still answers its holes as holes, and every buffer made
 * for a reply is released when the read fails. With the switch off the same READ is a file
 * region again. Every buffer comes from an allocator that keeps them, so "released" is checked
 * on each one, not left to the leak detector's sampling.
 */
class ReadRepliesCopyTest {
    private static final long SEED = Long.getLong("nbd.seed", System.nanoTime());
    private static final int MIB = 1 << 20;

    static {
        System.out.println("ReadRepliesCopyTest seed " + SEED + " (repeat with -Dnbd.seed=" + SEED + ")");
    }

    @TempDir
    Path dir;

    private final KeepingAllocator alloc = new KeepingAllocator();
    private final SpliceCounters counters = new SpliceCounters();
    private final AtomicBoolean failReads = new AtomicBoolean();
    private Engine engine;
    private Volume volume;
    private Handle handle;
    private byte[] data;

    @BeforeEach
    void start() {
        engine = new Engine(EngineConfig.withCache(8L << 20).withBackgroundThreads(false));
        volume = engine.open(VolumeConfig.of("v"), new FailingReads(SparseFileStore.create(dir.resolve("v.img"), 8L * MIB)));
        handle = volume.open();
        data = new byte[MIB];
        new Random(SEED).nextBytes(data);
        // A streaming write goes around the cache to the file: nothing dirty, and the kernel
        // holds the bytes, so the engine hands the range out as a file range.
        handle.write(0, ByteBuffer.wrap(data), false);
        handle.write(4L * MIB, ByteBuffer.wrap(data, 0, 256 * 1024), false); // then a hole to 5 MiB
        handle.flush();
        assertThat(volume.dirtyPages()).isZero();
    }

    @AfterEach
    void stop() {
        handle.close();
        engine.close();
    }

    private ReadReplies replies(boolean structured, boolean copy) {
        NbdSession session = new NbdSession(volume, structured, false, false, false, PeerIdentity.ANONYMOUS);
        return new ReadReplies(session, handle, alloc, counters, copy);
    }

    private static NbdRequest read(long offset, int length, int flags) {
        return new NbdRequest(new NbdCommandFlags(flags), NbdCommand.READ, 7, offset, length, false, false);
    }

    @Test
    void aSimpleReplyIsOneBufferWithTheFilesBytes() {
        List<Object> out = replies(false, true).read(read(0, MIB, 0));
        try {
            assertThat(out).singleElement().isInstanceOf(NbdReadReply.class);
            NbdReadReply reply = (NbdReadReply) out.getFirst();
            assertThat(ByteBufUtil.getBytes(reply.content())).isEqualTo(data);
            assertThat(reply.content().readerIndex()).as("the header's room in front").isEqualTo(NbdReadReply.HEADROOM);
            assertThat(counters.readsCopiedFromFile()).isEqualTo(1);
            assertThat(counters.readsSentFromFile()).isZero();
        } finally {
            out.forEach(ReferenceCountUtil::release);
        }
        alloc.assertAllReleased();
    }

    /** Its bytes are known before it is sent, so the copy of a whole READ ends it: no NONE chunk. */
    @Test
    void aStructuredCopyOfTheWholeReadIsItsFinalChunk() {
        for (int flags : new int[] {0, NbdCommandFlags.DF}) { // sparse path (one data run) and DF
            List<Object> out = replies(true, true).read(read(0, MIB, flags));
            try {
                assertThat(out).as("flags " + flags).singleElement().isInstanceOf(NbdReadReply.class);
                assertThat(ByteBufUtil.getBytes(((NbdReadReply) out.getFirst()).content())).isEqualTo(data);
            } finally {
                out.forEach(ReferenceCountUtil::release);
            }
        }
        assertThat(counters.readsCopiedFromFile()).isEqualTo(2);
        alloc.assertAllReleased();
    }

    /** 256 KiB of data, then 768 KiB of hole: a data chunk copied from the file, a hole chunk, NONE. */
    @Test
    void aSparseReadStillAnswersItsHoleAsAHole() {
        List<Object> out = replies(true, true).read(read(4L * MIB, MIB, 0));
        try {
            assertThat(out).hasSize(3);
            NbdReplyChunk.OffsetData first = (NbdReplyChunk.OffsetData) out.get(0);
            assertThat(first.offset()).isEqualTo(4L * MIB);
            assertThat(first.done()).isFalse();
            assertThat(ByteBufUtil.getBytes(first.content())).isEqualTo(Arrays.copyOf(data, 256 * 1024));
            NbdReplyChunk.OffsetHole hole = (NbdReplyChunk.OffsetHole) out.get(1);
            assertThat(hole.offset()).isEqualTo(4L * MIB + 256 * 1024);
            assertThat(hole.holeSize()).isEqualTo(768 * 1024);
            assertThat(out.get(2)).isInstanceOf(NbdReplyChunk.None.class);
            assertThat(counters.readsCopiedFromFile()).isEqualTo(1);
        } finally {
            out.forEach(ReferenceCountUtil::release);
        }
        alloc.assertAllReleased();
    }

    @Test
    void aFailedReadOfTheFileIsTheEnginesErrorAndLeavesNoBuffer() {
        failReads.set(true);
        for (boolean structured : new boolean[] {false, true}) {
            assertThatThrownBy(() -> replies(structured, true).read(read(0, MIB, 0)))
                    .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EIO));
        }
        assertThat(alloc.made).as("a buffer was made for each, then released").hasSizeGreaterThanOrEqualTo(2);
        alloc.assertAllReleased();
        assertThat(counters.readsCopiedFromFile()).isZero();
    }

    @Test
    void withTheSwitchOffTheRangeIsSentFromTheFile() {
        List<Object> simple = replies(false, false).read(read(0, MIB, 0));
        List<Object> structured = replies(true, false).read(read(0, MIB, NbdCommandFlags.DF));
        try {
            assertThat(simple).singleElement().isInstanceOf(NbdSimpleFileReply.class);
            assertThat(structured.getFirst()).isInstanceOf(NbdReplyChunk.OffsetDataFile.class);
            assertThat(structured.getLast()).isInstanceOf(NbdReplyChunk.None.class);
            assertThat(counters.readsSentFromFile()).isEqualTo(2);
            assertThat(counters.readsCopiedFromFile()).isZero();
        } finally {
            simple.forEach(ReferenceCountUtil::release);
            structured.forEach(ReferenceCountUtil::release);
        }
    }

    /** Copies are for loopback peers, and only while the server allows them. */
    @Test
    void onlyLoopbackPeersGetCopies() {
        NbdServerConfig on = NbdTestServer.config();
        assertThat(ReadReplies.copiesFileRanges(on, new java.net.InetSocketAddress("127.0.0.1", 1))).isTrue();
        assertThat(ReadReplies.copiesFileRanges(on, new java.net.InetSocketAddress("::1", 1))).isTrue();
        assertThat(ReadReplies.copiesFileRanges(on, new java.net.InetSocketAddress("192.0.2.1", 1))).isFalse();
        assertThat(ReadReplies.copiesFileRanges(on.withCopyLoopbackReads(false),
                new java.net.InetSocketAddress("127.0.0.1", 1))).isFalse();
    }

    /** A file store whose buffer reads fail with EIO while {@link #failReads} is set. */
    private final class FailingReads extends ForwardingStore {
        private final BackingStore file;

        FailingReads(BackingStore file) {
            super(file);
            this.file = file;
        }

        @Override
        public void read(long offset, ByteBuffer dst) {
            if (failReads.get()) {
                throw new ErrnoException(Errno.EIO, "injected: read " + dst.remaining() + " bytes at " + offset);
            }
            super.read(offset, dst);
        }

        @Override
        public boolean isInMemory(long offset, long length) {
            return file.isInMemory(offset, length);
        }

        @Override
        public FileChannel channelForSending() {
            return file.channelForSending();
        }
    }

    /** Unpooled buffers, each kept, so a test can check that every one was released. */
    private static final class KeepingAllocator extends AbstractByteBufAllocator {
        final List<ByteBuf> made = new ArrayList<>();

        KeepingAllocator() {
            super(true);
        }

        @Override
        protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
            return keep(Unpooled.buffer(initialCapacity, maxCapacity));
        }

        @Override
        protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
            return keep(Unpooled.directBuffer(initialCapacity, maxCapacity));
        }

        private ByteBuf keep(ByteBuf b) {
            made.add(b);
            return b;
        }

        @Override
        public boolean isDirectBufferPooled() {
            return false;
        }

        void assertAllReleased() {
            assertThat(made).as("buffers made").isNotEmpty().allSatisfy(b -> assertThat(b.refCnt()).isZero());
        }
    }
}
