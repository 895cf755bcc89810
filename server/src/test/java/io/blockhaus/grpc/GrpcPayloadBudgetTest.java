package io.blockhaus.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.blockhaus.engine.Engine;
import io.blockhaus.engine.EngineConfig;
import io.blockhaus.engine.Volume;
import io.blockhaus.engine.VolumeConfig;
import io.blockhaus.engine.store.MemoryStore;
import io.blockhaus.proto.v1.OpenHandleRequest;
import io.blockhaus.proto.v1.ReadRequest;
import io.blockhaus.proto.v1.ReadResponse;
import io.blockhaus.proto.v1.StatRequest;
import io.blockhaus.proto.v1.VolumeIoGrpc;
import io.blockhaus.proto.v1.WriteRequest;
import io.blockhaus.proto.v1.WriteResponse;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Memory gRPC clients can make the server hold is bounded by the payload budget (issue 11, item
 * 2): hostile clients on three connections make calls that hold what they are given and never
 * let go (unary requests never half-closed; Read streams never read), asking for more than the
 * budget. The budget's own count never passes its limit, the rest of the calls wait for it, a
 * well-behaved client on a fourth connection is answered within 2 s from its connection's share,
 * and once the hostile calls end (cancelled by the client, past their deadline, their connection
 * gone) every byte is back in the budget and nobody waits.
 */
class GrpcPayloadBudgetTest {
    /** 16 MiB over 4 connection slots: a 2 MiB share each (a largest message and a chunk), an 8 MiB pool. */
    private static final long BUDGET = 16L << 20;
    private static final int CONNECTIONS = 4;
    private static final int MESSAGE = GrpcLimits.MIN_INBOUND_MESSAGE;

    private final Engine engine = new Engine(EngineConfig.withCache(16 << 20).withBackgroundThreads(false));
    private final List<ManagedChannel> channels = new ArrayList<>();
    /** The most the budget counted at any sample, beside the budget's own peak. */
    private final AtomicLong sampledMax = new AtomicLong();
    private GrpcServer server;

    private void start() {
        Volume big = engine.open(VolumeConfig.of("big"), new MemoryStore(32L << 20));
        Volume fast = engine.open(VolumeConfig.of("fast"), new MemoryStore(8 << 20));
        server = GrpcServer.listen(new InetSocketAddress("127.0.0.1", 0),
                new FixedCatalog(List.of(big, fast), new LockStatsBook()), 4, GrpcServer.DEFAULT_RECALL_TIMEOUT,
                GrpcLimits.DEFAULTS.withConnections(CONNECTIONS, CONNECTIONS).withPayloadBudget(BUDGET), b -> { });
        assertThat(server.payloadBudget()).isEqualTo(BUDGET);
    }

    /**
     * A channel (one connection) with a 64 KiB receive window and no automatic window tuning, so
     * a Read stream its client does not read stalls at once on the server's side.
     */
    private ManagedChannel channel() {
        ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", server.address().getPort()).usePlaintext()
                .flowControlWindow(64 << 10).build();
        channels.add(ch);
        return ch;
    }

    @AfterEach
    void stop() throws InterruptedException {
        for (ManagedChannel ch : channels) {
            ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        if (server != null) {
            server.close();
        }
        engine.close();
    }

    /** Starts a call that sends {@code request}, asks for no reply, and half-closes only if told. */
    private static <Q, A> ClientCall<Q, A> hold(ManagedChannel ch, MethodDescriptor<Q, A> method, Q request,
            CallOptions options, boolean halfClose) {
        ClientCall<Q, A> call = ch.newCall(method, options);
        call.start(new ClientCall.Listener<>() {
        }, new Metadata());
        call.sendMessage(request);
        if (halfClose) {
            call.halfClose();
        }
        return call;
    }

    @Test
    void unaryRequestsNeverHalfClosedAreHeldToTheBudgetAndAllGivenBack() {
        start();
        StatRequest huge = StatRequest.newBuilder().setHandle("h".repeat(1 << 20)).build();
        List<List<ClientCall<StatRequest, ?>>> hostile = hostile(6,
                (ch, options) -> hold(ch, VolumeIoGrpc.getStatMethod(), huge, options, false));
        // 18 calls of a 1088 KiB reservation each (19.1 MiB) against 16 MiB: the budget holds some back.
        awaitExhausted();

        goodClientIsServed();

        end(hostile);
    }

    @Test
    void readStreamsNeverReadAreHeldToTheBudgetAndAllGivenBack() {
        start();
        // One handle per connection, opened before its streams: once they hold its share and the
        // pool is gone, that connection's own next call waits too (it is the one being greedy).
        Map<ManagedChannel, String> handles = new IdentityHashMap<>();
        List<List<ClientCall<ReadRequest, ?>>> hostile = hostile(8, (ch, options) -> {
            String handle = handles.computeIfAbsent(ch, c -> open(c, "big"));
            return hold(ch, VolumeIoGrpc.getReadMethod(),
                    ReadRequest.newBuilder().setHandle(handle).setOffset(0).setLength(16L << 20).build(), options, true);
        });
        // 24 streams, each stuck on a 1 MiB chunk its client never reads: 24 MiB against 16.
        awaitExhausted();

        goodClientIsServed();

        end(hostile);
    }

    private interface Hostile<Q> {
        ClientCall<Q, ?> call(ManagedChannel ch, CallOptions options);
    }

    /**
     * Three hostile connections of {@code calls} calls each: the first's to be cancelled, the
     * second's with a 6 s deadline (past the rest of the test's first part), the third's to be dropped with its connection.
     */
    private <Q> List<List<ClientCall<Q, ?>>> hostile(int calls, Hostile<Q> make) {
        List<List<ClientCall<Q, ?>>> all = new ArrayList<>();
        for (int c = 0; c < 3; c++) {
            ManagedChannel ch = channel();
            List<ClientCall<Q, ?>> mine = new ArrayList<>();
            for (int i = 0; i < calls; i++) {
                CallOptions options = c == 1 ? CallOptions.DEFAULT.withDeadlineAfter(6, TimeUnit.SECONDS) : CallOptions.DEFAULT;
                mine.add(make.call(ch, options));
            }
            all.add(mine);
        }
        return all;
    }

    private void awaitExhausted() {
        until("hostile calls wait for the budget", () -> sample() && server.payloadWaiters() > 0
                && server.payloadBytesHeld() > BUDGET - CONNECTIONS * (long) MESSAGE);
        System.out.printf("gRPC payload budget: %d bytes held of %d, %d waiting, peak %d%n", server.payloadBytesHeld(),
                BUDGET, server.payloadWaiters(), server.payloadBytesPeak());
        assertThat(server.payloadBytesPeak()).as("the budget's own peak").isLessThanOrEqualTo(BUDGET);
    }

    /** Records the budget's count (the test asserts on the budget's peak too, which sees every change). */
    private boolean sample() {
        long held = server.payloadBytesHeld();
        sampledMax.accumulateAndGet(held, Math::max);
        assertThat(held).as("bytes held from the budget").isLessThanOrEqualTo(BUDGET);
        return true;
    }

    /** A client on the fourth connection opens, stats, writes and reads back, each call within 2 s. */
    private void goodClientIsServed() {
        ManagedChannel good = NettyChannelBuilder.forAddress("127.0.0.1", server.address().getPort()).usePlaintext().build();
        channels.add(good);
        long start = System.nanoTime();
        String handleOfGood = open(good, "fast");
        VolumeIoGrpc.newBlockingStub(good).withDeadlineAfter(2, TimeUnit.SECONDS)
                .stat(StatRequest.newBuilder().setHandle(handleOfGood).build());
        byte[] bytes = new byte[3 << 20];
        Arrays.fill(bytes, (byte) 7);
        CompletableFuture<WriteResponse> written = new CompletableFuture<>();
        StreamObserver<WriteRequest> w = VolumeIoGrpc.newStub(good).withDeadlineAfter(2, TimeUnit.SECONDS)
                .write(new FutureObserver<>(written));
        for (int off = 0; off < bytes.length; off += Transfers.MAX_CHUNK) {
            WriteRequest.Builder m = WriteRequest.newBuilder()
                    .setData(ByteString.copyFrom(bytes, off, Transfers.MAX_CHUNK));
            w.onNext(off == 0 ? m.setHandle(handleOfGood).setOffset(0).build() : m.build());
        }
        w.onCompleted();
        assertThat(written.join().getBytesWritten()).isEqualTo(bytes.length);
        // Three chunks, each let go of once the transport took it: the share is enough for all.
        Iterator<ReadResponse> read = VolumeIoGrpc.newBlockingStub(good).withDeadlineAfter(2, TimeUnit.SECONDS)
                .read(ReadRequest.newBuilder().setHandle(handleOfGood).setOffset(0).setLength(bytes.length).build());
        ByteString got = ByteString.EMPTY;
        while (read.hasNext()) {
            got = got.concat(read.next().getData());
        }
        assertThat(got.toByteArray()).isEqualTo(bytes);
        System.out.printf("gRPC payload budget: the well-behaved client's four calls took %d ms, %d hostile waiting%n",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start), server.payloadWaiters());
        assertThat(server.payloadWaiters()).as("the hostile calls still wait: the good client was served from its share")
                .isPositive();
        sample();
    }

    /** Cancels the first connection's calls, lets the second's deadline pass, drops the third connection. */
    private <Q> void end(List<List<ClientCall<Q, ?>>> hostile) {
        for (ClientCall<Q, ?> c : hostile.get(0)) {
            c.cancel("the test gives up", null);
        }
        channels.get(2).shutdownNow();
        until("every byte is back in the budget", () -> sample() && server.payloadBytesHeld() == 0
                && server.payloadWaiters() == 0);
        assertThat(server.payloadBytesPeak()).isLessThanOrEqualTo(BUDGET).isGreaterThanOrEqualTo(sampledMax.get());
    }

    private static String open(ManagedChannel ch, String volume) {
        return VolumeIoGrpc.newBlockingStub(ch).withDeadlineAfter(2, TimeUnit.SECONDS)
                .openHandle(OpenHandleRequest.newBuilder().setVolume("volumes/" + volume).build()).getName();
    }

    /** Bounded polling for what the server does on its own threads. */
    private static void until(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("timed out: %s", what).isLessThan(deadline);
            LockSupport.parkNanos(10_000_000); // polling interval of a bounded wait
        }
    }
}
