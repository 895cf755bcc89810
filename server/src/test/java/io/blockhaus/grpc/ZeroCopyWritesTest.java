package io.blockhaus.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import io.blockhaus.client.BlockhausClient;
import io.blockhaus.client.VolumeHandle;
import io.blockhaus.engine.Engine;
import io.blockhaus.engine.EngineConfig;
import io.blockhaus.engine.Volume;
import io.blockhaus.engine.VolumeConfig;
import io.blockhaus.engine.store.MemoryStore;
import io.blockhaus.proto.v1.IoMode;
import io.blockhaus.proto.v1.WriteRequest;
import io.grpc.Detachable;
import io.grpc.HasByteBuffer;
import io.grpc.KnownLength;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Write messages parsed over the transport's buffers: the data arrives as those (direct) buffers,
 * uncopied, whatever the split of the message into buffers, and the buffers go back to the
 * transport only when the chunk is closed; a stream that cannot be detached is parsed by copying.
 */
class ZeroCopyWritesTest {
    private final ZeroCopyWrites.ChunkMarshaller marshaller = new ZeroCopyWrites.ChunkMarshaller();

    @Test
    void dataIsASliceOfTheTransportsBuffersUntilClosed() throws IOException {
        long seed = Long.getLong("zerocopy.seed", System.nanoTime());
        System.out.println("ZeroCopyWritesTest seed " + seed + " (replay: -Dzerocopy.seed=" + seed + ")");
        Random r = new Random(seed);
        for (int round = 0; round < 50; round++) {
            byte[] data = new byte[r.nextInt(3 * 65536)];
            r.nextBytes(data);
            WriteRequest m = WriteRequest.newBuilder().setHandle("volumes/v/handles/" + round).setOffset(r.nextLong(1L << 40))
                    .setMode(IoMode.DIRECT).setFua(r.nextBoolean()).setData(ByteString.copyFrom(data)).build();
            FakeTransportStream stream = new FakeTransportStream(m.toByteArray(), r);
            ZeroCopyWrites.Chunk c = marshaller.parse(stream);
            assertThat(c.message()).as("seed %d round %d", seed, round).isEqualTo(m);
            // protobuf's rope flattens pieces joined into under 128 bytes into one small heap copy
            // (RopeByteString's concatenate-by-copy); every other byte stays in the transport's buffers
            assertThat(c.message().getData().asReadOnlyByteBufferList()).as("seed %d round %d", seed, round)
                    .allMatch(b -> b.isDirect() || b.remaining() < 128);
            assertThat(stream.released).isFalse();
            c.close();
            assertThat(stream.released).isTrue();
        }
    }

    @Test
    void fieldsInAnyOrderAndRepeatedDataParseAsProtobufDoes() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        out.writeBytes(WriteRequest.DATA_FIELD_NUMBER, ByteString.copyFromUtf8("first"));
        out.writeInt64(WriteRequest.OFFSET_FIELD_NUMBER, 4096);
        out.writeBytes(WriteRequest.DATA_FIELD_NUMBER, ByteString.copyFromUtf8("last wins"));
        out.writeString(WriteRequest.HANDLE_FIELD_NUMBER, "h");
        out.writeInt32(99, 7); // a field this version does not know
        out.flush();
        WriteRequest expected = WriteRequest.parseFrom(bytes.toByteArray());
        try (ZeroCopyWrites.Chunk c = marshaller.parse(new FakeTransportStream(bytes.toByteArray(), new Random(1)))) {
            assertThat(c.message().getData().toStringUtf8()).isEqualTo("last wins");
            assertThat(c.message().getOffset()).isEqualTo(4096);
            assertThat(c.message().getHandle()).isEqualTo("h");
            assertThat(c.message().getData()).isEqualTo(expected.getData());
        }
    }

    @Test
    void aStreamThatCannotBeDetachedIsCopied() throws IOException {
        WriteRequest m = WriteRequest.newBuilder().setHandle("h").setData(ByteString.copyFromUtf8("bytes")).build();
        try (ZeroCopyWrites.Chunk c = marshaller.parse(new ByteArrayInputStream(m.toByteArray()))) {
            assertThat(c.message()).isEqualTo(m);
            assertThat(c.backing()).isNull();
        }
    }

    @Test
    void writesOverNettyReadBackByteForByte() {
        long seed = System.nanoTime();
        System.out.println("ZeroCopyWritesTest over Netty, seed " + seed);
        Random r = new Random(seed);
        try (Engine engine = new Engine(EngineConfig.withCache(16 << 20).withBackgroundThreads(false))) {
            Volume volume = engine.open(VolumeConfig.of("v"), new MemoryStore(8 << 20));
            try (GrpcServer server = GrpcServer.listen(new InetSocketAddress("127.0.0.1", 0),
                    new FixedCatalog(List.of(volume), new LockStatsBook()), 2);
                    BlockhausClient client = BlockhausClient.connect("127.0.0.1:" + server.address().getPort());
                    VolumeHandle h = client.open("v")) {
                byte[] expected = new byte[8 << 20];
                for (int i = 0; i < 12; i++) {
                    int length = r.nextInt(3 << 20) + 1; // several 1 MiB chunks, odd tails
                    int offset = r.nextInt(expected.length - length);
                    byte[] data = new byte[length];
                    r.nextBytes(data);
                    if (r.nextBoolean()) {
                        h.write(offset, ByteBuffer.wrap(data), false);
                    } else {
                        h.writeDirect(offset, ByteBuffer.wrap(data), false);
                    }
                    System.arraycopy(data, 0, expected, offset, length);
                }
                assertThat(h.read(0, expected.length).array()).as("seed %d", seed).isEqualTo(expected);
                assertThat(h.readDirect(0, expected.length).array()).as("seed %d", seed).isEqualTo(expected);
            }
        }
    }

    /**
     * What gRPC's Netty transport hands a marshaller: a known-length stream over direct buffers
     * that can be detached; the message's bytes split at random places. As gRPC's stream does, a
     * buffer read or skipped past goes back to the pool (here: is scribbled over) unless the
     * stream is marked; reset puts the marked ones back.
     */
    private static final class FakeTransportStream extends InputStream implements KnownLength, Detachable, HasByteBuffer {
        private final Deque<ByteBuffer> buffers = new ArrayDeque<>();
        private final Deque<ByteBuffer> passed = new ArrayDeque<>();
        private boolean marked;
        /** The stream gRPC gave the marshaller: its detached copy's close releases the buffers. */
        private final FakeTransportStream original;
        boolean released;

        FakeTransportStream(byte[] bytes, Random r) {
            original = this;
            int at = 0;
            while (at < bytes.length) {
                int n = Math.min(bytes.length - at, 1 + r.nextInt(20_000));
                buffers.add(ByteBuffer.allocateDirect(n).put(bytes, at, n).flip());
                at += n;
            }
        }

        private FakeTransportStream(Deque<ByteBuffer> taken, FakeTransportStream from) {
            original = from;
            buffers.addAll(taken);
        }

        @Override
        public boolean markSupported() {
            return true;
        }

        @Override
        public void mark(int limit) {
            marked = true;
            passed.clear();
            buffers.forEach(ByteBuffer::mark);
        }

        @Override
        public void reset() {
            passed.descendingIterator().forEachRemaining(buffers::addFirst);
            passed.clear();
            buffers.forEach(ByteBuffer::reset);
        }

        /** The head buffer is done with: kept if marked, else reused by someone else. */
        private void pass() {
            ByteBuffer done = buffers.remove();
            if (marked) {
                passed.add(done);
            } else {
                while (done.position() > 0) {
                    done.put(done.position() - 1, (byte) 0x5a);
                    done.position(done.position() - 1);
                }
            }
        }

        @Override
        public InputStream detach() {
            FakeTransportStream d = new FakeTransportStream(buffers, this);
            buffers.clear();
            return d;
        }

        @Override
        public boolean byteBufferSupported() {
            return true;
        }

        @Override
        public ByteBuffer getByteBuffer() {
            return buffers.isEmpty() ? null : buffers.peek().duplicate();
        }

        @Override
        public int available() {
            return buffers.stream().mapToInt(ByteBuffer::remaining).sum();
        }

        @Override
        public int read() {
            while (!buffers.isEmpty() && !buffers.peek().hasRemaining()) {
                pass();
            }
            return buffers.isEmpty() ? -1 : buffers.peek().get() & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            int done = 0;
            while (done < len && !buffers.isEmpty()) {
                ByteBuffer head = buffers.peek();
                int n = Math.min(len - done, head.remaining());
                head.get(b, off + done, n);
                done += n;
                if (!head.hasRemaining()) {
                    pass();
                }
            }
            return done == 0 && len > 0 ? -1 : done;
        }

        @Override
        public long skip(long n) {
            long done = 0;
            while (done < n && !buffers.isEmpty()) {
                ByteBuffer head = buffers.peek();
                int k = (int) Math.min(n - done, head.remaining());
                head.position(head.position() + k);
                done += k;
                if (!head.hasRemaining()) {
                    pass();
                }
            }
            return done;
        }

        @Override
        public void close() {
            if (original != this || !buffers.isEmpty()) { // the detached copy, or a stream never detached
                original.released = true;
            }
            buffers.clear();
        }
    }
}
