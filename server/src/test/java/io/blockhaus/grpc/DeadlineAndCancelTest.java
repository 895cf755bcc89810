package io.blockhaus.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.blockhaus.engine.Engine;
import io.blockhaus.engine.EngineConfig;
import io.blockhaus.engine.Volume;
import io.blockhaus.engine.VolumeConfig;
import io.blockhaus.engine.lock.LockListener;
import io.blockhaus.engine.lock.LockMode;
import io.blockhaus.engine.lock.LockOutcome;
import io.blockhaus.engine.lock.LockPolicy;
import io.blockhaus.engine.lock.PagecacheLock;
import io.blockhaus.engine.store.MemoryStore;
import io.blockhaus.proto.v1.FaultRequest;
import io.blockhaus.proto.v1.Handle;
import io.blockhaus.proto.v1.IoMode;
import io.blockhaus.proto.v1.MapRequest;
import io.blockhaus.proto.v1.Mapping;
import io.blockhaus.proto.v1.OpenHandleRequest;
import io.blockhaus.proto.v1.ReadRequest;
import io.blockhaus.proto.v1.ReadResponse;
import io.blockhaus.proto.v1.VolumeIoGrpc;
import io.blockhaus.proto.v1.WriteRequest;
import io.blockhaus.proto.v1.WriteResponse;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 12: a gRPC call's deadline and cancellation reach the engine's waits. A call blocked
 * behind a BLOCK holder gives up at its deadline (DEADLINE_EXCEEDED) or when the client cancels
 * (CANCELLED), on the server too: its wait ends, with the lock's TIMEOUT or CANCELLED outcome,
 * nothing is written or cached, and the lock serves the next caller normally. The volume's lock
 * timeout is a minute, so a server that kept waiting would be caught, not waited for.
 */
class DeadlineAndCancelTest {
    private static final int PAGE = 4096;

    private final BlockingQueue<LockOutcome> failures = new LinkedBlockingQueue<>();
    private final ExecutorService serverPool = Executors.newFixedThreadPool(4,
            r -> Thread.ofPlatform().daemon().unstarted(r));
    private Engine engine;
    private Volume volume;
    private GrpcServer server;
    private ManagedChannel channel;
    private VolumeIoGrpc.VolumeIoBlockingStub stub;
    private String handle;

    @BeforeEach
    void start() {
        engine = new Engine(EngineConfig.withCache(4 << 20).withBackgroundThreads(false));
        LockListener outcomes = new LockListener() {
            @Override
            public void acquired(LockMode mode, LockPolicy policy, long waitNanos, boolean contended) {
            }

            @Override
            public void released(LockMode mode, LockPolicy policy, long holdNanos) {
            }

            @Override
            public void failed(LockMode mode, LockPolicy policy, long waitNanos, LockOutcome outcome) {
                failures.add(outcome);
            }
        };
        volume = engine.open(VolumeConfig.of("v").withLockTimeout(Duration.ofMinutes(1)), new MemoryStore(1 << 20),
                outcomes);
        String name = InProcessServerBuilder.generateName();
        server = GrpcServer.start(InProcessServerBuilder.forName(name).executor(serverPool),
                new FixedCatalog(List.of(volume), new LockStatsBook()), GrpcServer.DEFAULT_LEASE, System::nanoTime,
                Duration.ofMinutes(1)); // a recall that waited out its own timeout would be caught
        channel = InProcessChannelBuilder.forName(name).build();
        stub = VolumeIoGrpc.newBlockingStub(channel);
        handle = stub.openHandle(OpenHandleRequest.newBuilder().setVolume("volumes/v").build()).getName();
    }

    @AfterEach
    void stop() throws InterruptedException {
        channel.shutdownNow();
        server.close();
        serverPool.shutdownNow();
        serverPool.awaitTermination(10, TimeUnit.SECONDS);
        engine.close();
    }

    /** BLOCK on the whole volume, as a direct write or truncate holds it, from this thread. */
    private PagecacheLock.Hold blockEverything() {
        return volume.lock().acquire(LockMode.BLOCK, 0, Long.MAX_VALUE, TimeUnit.SECONDS.toNanos(10));
    }

    /** A buffered write of one page at {@code offset} on the async stub; its outcome as a future. */
    private CompletableFuture<WriteResponse> write(VolumeIoGrpc.VolumeIoStub async, long offset, int value) {
        return writePage(async, handle, offset, value);
    }

    /** A buffered write of one page of {@code value} at {@code offset} through {@code handle}; its outcome. */
    static CompletableFuture<WriteResponse> writePage(VolumeIoGrpc.VolumeIoStub async, String handle, long offset,
            int value) {
        CompletableFuture<WriteResponse> done = new CompletableFuture<>();
        StreamObserver<WriteRequest> req = async.write(new FutureObserver<>(done));
        byte[] data = new byte[PAGE];
        java.util.Arrays.fill(data, (byte) value);
        req.onNext(WriteRequest.newBuilder().setHandle(handle).setOffset(offset).setMode(IoMode.BUFFERED)
                .setData(ByteString.copyFrom(data)).build());
        req.onCompleted();
        return done;
    }

    private static Status.Code codeOf(CompletableFuture<?> f) throws Exception {
        try {
            f.get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            return Status.fromThrowable(e.getCause()).getCode();
        }
        throw new AssertionError("the call succeeded");
    }

    private byte[] readPage(long offset) {
        Iterator<ReadResponse> it = stub.read(ReadRequest.newBuilder().setHandle(handle).setOffset(offset)
                .setLength(PAGE).setMode(IoMode.BUFFERED).build());
        return it.next().getData().toByteArray();
    }

    @Test
    void aWriteBlockedBehindBlockGivesUpAtItsDeadlineAndChangesNothing() throws Exception {
        try (PagecacheLock.Hold block = blockEverything()) {
            long start = System.nanoTime();
            CompletableFuture<WriteResponse> w = write(VolumeIoGrpc.newStub(channel)
                    .withDeadlineAfter(300, TimeUnit.MILLISECONDS), 8 * PAGE, 7);
            assertThat(codeOf(w)).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
            // The server's wait ended too, by the call's deadline, not the volume's minute.
            assertThat(failures.poll(30, TimeUnit.SECONDS)).isEqualTo(LockOutcome.TIMEOUT);
            assertThat(System.nanoTime() - start).isLessThan(TimeUnit.SECONDS.toNanos(30));
            assertThat(volume.lock().waiters(LockMode.ADD)).isZero();
            assertThat(volume.lock().holders(LockMode.BLOCK)).as("the holder is untouched").isEqualTo(1);
            assertThat(volume.cachedPages()).as("no page added").isZero();
        }
        assertThat(readPage(8 * PAGE)).as("nothing written").isEqualTo(new byte[PAGE]);
        assertThat(write(VolumeIoGrpc.newStub(channel), 8 * PAGE, 9).get(30, TimeUnit.SECONDS).getBytesWritten())
                .as("the lock serves the next writer").isEqualTo(PAGE);
        byte[] nine = new byte[PAGE];
        java.util.Arrays.fill(nine, (byte) 9);
        assertThat(readPage(8 * PAGE)).isEqualTo(nine);
    }

    @Test
    void aCancelledWriteBlockedBehindBlockGivesUpAtOnceAndChangesNothing() throws Exception {
        CompletableFuture<WriteResponse> w;
        Context.CancellableContext call = Context.current().withCancellation();
        try (PagecacheLock.Hold block = blockEverything()) {
            w = call.call(() -> write(VolumeIoGrpc.newStub(channel), 8 * PAGE, 7));
            TestAwait.until("the write to wait for ADD", () -> volume.lock().waiters(LockMode.ADD) == 1);
            call.cancel(null);
            assertThat(codeOf(w)).isEqualTo(Status.Code.CANCELLED);
            assertThat(failures.poll(30, TimeUnit.SECONDS)).as("the server's wait ended, cancelled")
                    .isEqualTo(LockOutcome.CANCELLED);
            assertThat(volume.lock().waiters(LockMode.ADD)).isZero();
            assertThat(volume.lock().holders(LockMode.BLOCK)).isEqualTo(1);
            assertThat(volume.cachedPages()).isZero();
        }
        assertThat(readPage(8 * PAGE)).isEqualTo(new byte[PAGE]);
        assertThat(write(VolumeIoGrpc.newStub(channel), 8 * PAGE, 9).get(30, TimeUnit.SECONDS).getBytesWritten())
                .isEqualTo(PAGE);
    }

    @Test
    void aFaultAndAReadBlockedBehindBlockGiveUpAtTheirDeadlines() throws Exception {
        Mapping m = stub.map(MapRequest.newBuilder().setHandle(handle).setOffset(0).setLength(16 * PAGE).build());
        try (PagecacheLock.Hold block = blockEverything()) {
            StatusRuntimeException fault = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
                    () -> stub.withDeadlineAfter(200, TimeUnit.MILLISECONDS)
                            .fault(FaultRequest.newBuilder().setMapping(m.getName()).setOffset(0).build()));
            assertThat(fault.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
            assertThat(failures.poll(30, TimeUnit.SECONDS)).isEqualTo(LockOutcome.TIMEOUT);

            StatusRuntimeException read = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
                    () -> stub.withDeadlineAfter(200, TimeUnit.MILLISECONDS).read(ReadRequest.newBuilder()
                            .setHandle(handle).setOffset(0).setLength(PAGE).build()).next());
            assertThat(read.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
            assertThat(failures.poll(30, TimeUnit.SECONDS)).isEqualTo(LockOutcome.TIMEOUT);
            assertThat(volume.cachedPages()).isZero();
        }
        assertThat(stub.fault(FaultRequest.newBuilder().setMapping(m.getName()).setOffset(0).build()).getPagesCount())
                .isPositive();
    }

    @Test
    void aWritePastItsDeadlineWhileRecallingRevokesTheSilentMappingAndCompletes() throws Exception {
        String owner = stub.openHandle(OpenHandleRequest.newBuilder().setVolume("volumes/v").build()).getName();
        Mapping m = stub.map(MapRequest.newBuilder().setHandle(owner).setOffset(0).setLength(16 * PAGE).build());
        FaultRequest fault = FaultRequest.newBuilder().setMapping(m.getName()).setOffset(0).build();
        stub.fault(fault); // page 0 mapped by a client that never watches nor acknowledges

        CompletableFuture<WriteResponse> w = write(VolumeIoGrpc.newStub(channel)
                .withDeadlineAfter(300, TimeUnit.MILLISECONDS), 0, 7);
        // The write has happened when its recall wait begins; at the deadline the server stops
        // waiting for the silent owner and revokes its mapping instead of leaving it stale, and
        // answers OK (the write did complete). The client's own deadline timer races that answer,
        // so either is right for the client; the revocation, a minute early, is what shows it.
        Status.Code code;
        try {
            w.get(30, TimeUnit.SECONDS);
            code = Status.Code.OK;
        } catch (java.util.concurrent.ExecutionException e) {
            code = Status.fromThrowable(e.getCause()).getCode();
        }
        assertThat(code).isIn(Status.Code.OK, Status.Code.DEADLINE_EXCEEDED);
        TestAwait.until("the silent mapping to be revoked", () -> {
            try {
                stub.fault(fault);
                return false;
            } catch (StatusRuntimeException e) {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
                return true;
            }
        });
        byte[] seven = new byte[PAGE];
        java.util.Arrays.fill(seven, (byte) 7);
        assertThat(readPage(0)).as("the write completed").isEqualTo(seven);
    }

    /** Bounded polling for what another thread does; the pace is not a timing assumption. */
    private static final class TestAwait {
        static void until(String what, java.util.function.BooleanSupplier condition) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!condition.getAsBoolean()) {
                if (System.nanoTime() - deadline > 0) {
                    throw new AssertionError("timed out waiting for " + what);
                }
                java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
            }
        }
    }
}
