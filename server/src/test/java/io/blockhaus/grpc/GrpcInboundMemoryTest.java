package io.blockhaus.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.blockhaus.engine.Engine;
import io.blockhaus.engine.EngineConfig;
import io.blockhaus.engine.ForwardingStore;
import io.blockhaus.engine.Volume;
import io.blockhaus.engine.VolumeConfig;
import io.blockhaus.engine.store.MemoryStore;
import io.blockhaus.limits.RefusalReason;
import io.blockhaus.proto.v1.IoMode;
import io.blockhaus.proto.v1.OpenHandleRequest;
import io.blockhaus.proto.v1.ReadRequest;
import io.blockhaus.proto.v1.ReadResponse;
import io.blockhaus.proto.v1.VolumeIoGrpc;
import io.blockhaus.proto.v1.WriteRequest;
import io.blockhaus.proto.v1.WriteResponse;
import io.grpc.Attributes;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What gRPC clients can make the server buffer is bounded server-wide (issue 11, item 2): the
 * connection caps ({@link GrpcConnectionCap}) times each connection's 8 MiB receive window, plus
 * one message per call a worker holds. Hostile clients open connections from one address and push
 * 1 MiB Write chunks into a volume whose disk never finishes a write (the handler never
 * completes, so nothing the server read is let go): only the per-source cap's worth of
 * connections is admitted, the bytes the server read on them stop at those windows plus the one
 * chunk each handler holds, and a well-behaved client on another address is served meanwhile.
 */
class GrpcInboundMemoryTest {
    private static final int WINDOW = GrpcServer.FLOW_CONTROL_WINDOW;
    private static final int CHUNK = Transfers.MAX_CHUNK;
    /** The most a connection's HTTP/2 framing adds: 9 bytes per 16 KiB DATA frame, a 5-byte gRPC prefix, headers. */
    private static final long FRAMING_PER_CONNECTION = 64 << 10;

    private final Engine engine = new Engine(EngineConfig.withCache(8 << 20).withBackgroundThreads(false));
    private final CountDownLatch diskReturns = new CountDownLatch(1);
    private final List<ManagedChannel> channels = new ArrayList<>();
    private GrpcServer server;

    /** A store whose writes wait until the test lets them go: the Write handlers never complete meanwhile. */
    private final class StuckDisk extends ForwardingStore {
        StuckDisk() {
            super(new MemoryStore(64L << 20));
        }

        @Override
        public void write(long offset, ByteBuffer[] srcs) {
            awaitDisk();
            super.write(offset, srcs);
        }

        @Override
        public void write(long offset, ByteBuffer src) {
            awaitDisk();
            super.write(offset, src);
        }

        private void awaitDisk() {
            try {
                diskReturns.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void start(int threads, GrpcLimits limits) {
        Volume stuck = engine.open(VolumeConfig.of("stuck"), new StuckDisk());
        Volume fast = engine.open(VolumeConfig.of("fast"), new MemoryStore(8 << 20));
        server = GrpcServer.listen(new InetSocketAddress("127.0.0.1", 0),
                new FixedCatalog(List.of(stuck, fast), new LockStatsBook()), threads, GrpcServer.DEFAULT_RECALL_TIMEOUT,
                limits, b -> { });
    }

    /** A channel whose connections come from {@code source} (a loopback address). */
    private ManagedChannel channelFrom(String source) {
        ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", server.address().getPort()).usePlaintext()
                .localSocketPicker(new NettyChannelBuilder.LocalSocketPicker() {
                    @Override
                    public SocketAddress createSocketAddress(SocketAddress remote, Attributes attrs) {
                        return new InetSocketAddress(source, 0);
                    }
                })
                .build();
        channels.add(ch);
        return ch;
    }

    @AfterEach
    void stop() throws InterruptedException {
        diskReturns.countDown();
        for (ManagedChannel ch : channels) {
            ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        if (server != null) {
            server.close();
        }
        engine.close();
    }

    private static String open(ManagedChannel ch, String volume) {
        return VolumeIoGrpc.newBlockingStub(ch).withDeadlineAfter(2, TimeUnit.SECONDS)
                .openHandle(OpenHandleRequest.newBuilder().setVolume("volumes/" + volume).build()).getName();
    }

    /** Sends {@code chunks} 1 MiB DIRECT chunks at once, ignoring readiness: the client library buffers what HTTP/2 holds back. */
    private static void pushWrite(ManagedChannel ch, String handle, int chunks) {
        StreamObserver<WriteRequest> w = VolumeIoGrpc.newStub(ch).write(new FutureObserver<>(new CompletableFuture<>()));
        ByteString data = ByteString.copyFrom(new byte[CHUNK]);
        w.onNext(WriteRequest.newBuilder().setHandle(handle).setOffset(0).setMode(IoMode.DIRECT).setData(data).build());
        for (int i = 1; i < chunks; i++) {
            w.onNext(WriteRequest.newBuilder().setData(data).build());
        }
    }

    @Test
    void hostileWritersFromOneAddressAreHeldToThePerSourceCapTimesTheWindowAndAnotherClientIsServed() {
        int perSource = 3;
        int hostile = 8;
        // Four workers: the three admitted hostile Writes each hold one, the well-behaved client gets the fourth.
        start(4, GrpcLimits.DEFAULTS.withConnections(16, perSource)
                .withConnection(GrpcLimits.MIN_INBOUND_MESSAGE, 1, Duration.ofSeconds(10), Duration.ZERO));
        int admitted = 0;
        for (int i = 0; i < hostile; i++) {
            ManagedChannel ch = channelFrom("127.0.0.2");
            try {
                String handle = open(ch, "stuck");
                pushWrite(ch, handle, 12); // 12 MiB: more than the window lets in
                admitted++;
            } catch (StatusRuntimeException e) {
                assertThat(e.getStatus().getCode()).as("a connection past the cap fails").isEqualTo(Status.Code.UNAVAILABLE);
            }
        }
        assertThat(admitted).isEqualTo(perSource);
        assertThat(server.refusals().count(RefusalReason.CONNECTIONS_PER_SOURCE)).isGreaterThanOrEqualTo(hostile - perSource);
        // Each admitted connection fills its window behind the one chunk its stuck handler holds.
        long bound = perSource * (WINDOW + (long) GrpcLimits.MIN_INBOUND_MESSAGE + FRAMING_PER_CONNECTION);
        until("the hostile writers fill their windows", () -> server.receivedOnOpenConnections() >= perSource * (long) WINDOW);

        // A well-behaved client on another address is served while they wait, each call within 2 s.
        ManagedChannel good = channelFrom("127.0.0.1");
        String handle = open(good, "fast");
        byte[] bytes = new byte[64 << 10];
        Arrays.fill(bytes, (byte) 7);
        CompletableFuture<WriteResponse> written = new CompletableFuture<>();
        StreamObserver<WriteRequest> w = VolumeIoGrpc.newStub(good).withDeadlineAfter(2, TimeUnit.SECONDS)
                .write(new FutureObserver<>(written));
        w.onNext(WriteRequest.newBuilder().setHandle(handle).setOffset(0).setData(ByteString.copyFrom(bytes)).build());
        w.onCompleted();
        assertThat(written.join().getBytesWritten()).isEqualTo(bytes.length);
        Iterator<ReadResponse> read = VolumeIoGrpc.newBlockingStub(good).withDeadlineAfter(2, TimeUnit.SECONDS)
                .read(ReadRequest.newBuilder().setHandle(handle).setOffset(0).setLength(bytes.length).build());
        ByteString got = ByteString.EMPTY;
        while (read.hasNext()) {
            got = got.concat(read.next().getData());
        }
        assertThat(got.toByteArray()).isEqualTo(bytes);

        long held = server.receivedOnOpenConnections();
        System.out.printf("gRPC hostile writers: %d of %d connections admitted, %d bytes read on open connections"
                + " (bound %d = %d x (window %d + message %d + framing %d))%n", admitted, hostile, held, bound + good(),
                perSource, WINDOW, GrpcLimits.MIN_INBOUND_MESSAGE, FRAMING_PER_CONNECTION);
        assertThat(held).as("bytes the server holds of its clients").isLessThanOrEqualTo(bound + good());
    }

    /** What the well-behaved client's own connection adds: its 64 KiB write and framing. */
    private static long good() {
        return (64 << 10) + FRAMING_PER_CONNECTION;
    }

    @Test
    void connectionsPastTheServerWideCapAreClosedAtAcceptAndCounted() {
        start(2, GrpcLimits.DEFAULTS.withConnections(2, 8));
        ManagedChannel a = channelFrom("127.0.0.1");
        ManagedChannel b = channelFrom("127.0.0.3");
        open(a, "fast");
        open(b, "fast");
        assertThat(server.openConnections()).isEqualTo(2);
        ManagedChannel c = channelFrom("127.0.0.4");
        assertThatThrownBy(() -> open(c, "fast")).isInstanceOfSatisfying(StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
        assertThat(server.refusals().count(RefusalReason.CONNECTIONS)).isGreaterThanOrEqualTo(1);
        // A connection that closes gives its place back.
        a.shutdownNow();
        until("the closed connection is counted out", () -> server.openConnections() == 1);
        until("the refused client connects once there is room", () -> {
            try {
                open(c, "fast");
                return true;
            } catch (StatusRuntimeException e) {
                return false; // its channel is backing off after the refusal
            }
        });
        assertThat(server.openConnections()).isEqualTo(2);
    }

    /** Bounded polling for what the server does on its own threads. */
    private static void until(String what, java.util.function.BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("timed out: %s", what).isLessThan(deadline);
            LockSupport.parkNanos(10_000_000); // polling interval of a bounded wait
        }
    }
}
