package io.blockhaus.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.engine.Engine;
import io.blockhaus.engine.EngineConfig;
import io.blockhaus.engine.ForwardingStore;
import io.blockhaus.engine.Volume;
import io.blockhaus.engine.VolumeConfig;
import io.blockhaus.engine.store.MemoryStore;
import io.blockhaus.proto.v1.IoMode;
import io.blockhaus.proto.v1.OpenHandleRequest;
import io.blockhaus.proto.v1.ReadRequest;
import io.blockhaus.proto.v1.ReadResponse;
import io.blockhaus.proto.v1.VolumeIoGrpc;
import io.blockhaus.proto.v1.WriteResponse;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 12 through the gRPC front end: a write that waits for a busy page's lock (the page is
 * being read in by another call, whose store read the test holds) is given up on the server at
 * once when its client cancels: the server's wait ends while the page is still locked, nothing
 * is written, and the page serves the next writer. The engine's own bound for that wait is a
 * minute, so a server that kept waiting would be caught, not waited for.
 */
class PageLockCancelTest {
    private static final int PAGE = 4096;
    private static final long BUSY = 8L * PAGE;

    private final ExecutorService serverPool = Executors.newFixedThreadPool(4,
            r -> Thread.ofPlatform().daemon().unstarted(r));
    private final CountDownLatch readEntered = new CountDownLatch(1);
    private final CountDownLatch readRelease = new CountDownLatch(1);
    private volatile boolean gated = true;
    private Engine engine;
    private GrpcServer server;
    private ManagedChannel channel;
    private VolumeIoGrpc.VolumeIoBlockingStub stub;
    private String handle;

    /** A store whose first read of the busy page waits for the test: the page stays locked meanwhile. */
    private final class GatedStore extends ForwardingStore {
        GatedStore() {
            super(new MemoryStore(1 << 20));
        }

        private void gate(long offset, long length) {
            if (gated && offset <= BUSY && BUSY < offset + length) {
                gated = false;
                readEntered.countDown();
                try {
                    readRelease.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        @Override
        public void read(long offset, ByteBuffer dst) {
            gate(offset, dst.remaining());
            super.read(offset, dst);
        }

        @Override
        public void read(long offset, ByteBuffer[] dsts) {
            gate(offset, Arrays.stream(dsts).mapToLong(ByteBuffer::remaining).sum());
            super.read(offset, dsts);
        }
    }

    @BeforeEach
    void start() {
        engine = new Engine(new EngineConfig(4 << 20, 0.10, 0.40, Duration.ofSeconds(5), Duration.ofMillis(500),
                Duration.ofMinutes(1), false));
        Volume volume = engine.open(VolumeConfig.of("v").withLockTimeout(Duration.ofMinutes(1)), new GatedStore());
        String name = InProcessServerBuilder.generateName();
        server = GrpcServer.start(InProcessServerBuilder.forName(name).executor(serverPool),
                new FixedCatalog(List.of(volume), new LockStatsBook()), GrpcServer.DEFAULT_LEASE, System::nanoTime,
                Duration.ofMinutes(1));
        channel = InProcessChannelBuilder.forName(name).build();
        stub = VolumeIoGrpc.newBlockingStub(channel);
        handle = stub.openHandle(OpenHandleRequest.newBuilder().setVolume("volumes/v").build()).getName();
    }

    @AfterEach
    void stop() throws InterruptedException {
        readRelease.countDown();
        channel.shutdownNow();
        server.close();
        serverPool.shutdownNow();
        serverPool.awaitTermination(10, TimeUnit.SECONDS);
        engine.close();
    }

    private CompletableFuture<WriteResponse> write(long offset, int value) {
        return DeadlineAndCancelTest.writePage(VolumeIoGrpc.newStub(channel), handle, offset, value);
    }

    private byte[] readPage(long offset) {
        Iterator<ReadResponse> it = stub.read(ReadRequest.newBuilder().setHandle(handle).setOffset(offset)
                .setLength(PAGE).setMode(IoMode.BUFFERED).build());
        return it.next().getData().toByteArray();
    }

    @Test
    void aCancelledWriteWaitingForABusyPageGivesUpAtOnceAndChangesNothing() throws Exception {
        CompletableFuture<byte[]> loading = CompletableFuture.supplyAsync(() -> readPage(BUSY));
        assertThat(readEntered.await(10, TimeUnit.SECONDS)).as("the page is being read in, locked").isTrue();

        Context.CancellableContext call = Context.current().withCancellation();
        CompletableFuture<WriteResponse> w = call.call(() -> write(BUSY, 7));
        until("the write to wait for the page's lock", () -> engine.pageLockWaiters() == 1);
        call.cancel(null);

        try {
            w.get(30, TimeUnit.SECONDS);
            throw new AssertionError("the write succeeded");
        } catch (java.util.concurrent.ExecutionException e) {
            assertThat(Status.fromThrowable(e.getCause()).getCode()).isEqualTo(Status.Code.CANCELLED);
        }
        until("the server's wait to end while the page is still locked", () -> engine.pageLockWaiters() == 0);
        assertThat(loading).as("the page is still being read in").isNotDone();

        readRelease.countDown();
        assertThat(loading.get(30, TimeUnit.SECONDS)).isEqualTo(new byte[PAGE]);
        assertThat(readPage(BUSY)).as("nothing written").isEqualTo(new byte[PAGE]);
        assertThat(write(BUSY, 9).get(30, TimeUnit.SECONDS).getBytesWritten()).isEqualTo(PAGE);
        byte[] nine = new byte[PAGE];
        Arrays.fill(nine, (byte) 9);
        assertThat(readPage(BUSY)).isEqualTo(nine);
    }

    /** Bounded polling for what the server's threads do; the pace is not a timing assumption. */
    private static void until(String what, java.util.function.BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out waiting for " + what);
            }
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
        }
    }
}
