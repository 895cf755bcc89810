package io.blockhaus.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.engine.Engine;
import io.blockhaus.engine.EngineConfig;
import io.blockhaus.engine.Volume;
import io.blockhaus.engine.VolumeConfig;
import io.blockhaus.engine.store.MemoryStore;
import io.blockhaus.proto.v1.Handle;
import io.blockhaus.proto.v1.OpenHandleRequest;
import io.blockhaus.proto.v1.TruncateRequest;
import io.blockhaus.proto.v1.VolumeIoGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A call whose deadline passed while it waited for a worker is not run: it changes nothing. */
class CancelledCallTest {

    @Test
    void aCallPastItsDeadlineBeforeItStartsChangesNothing() throws Exception {
        ExecutorService worker = Executors.newSingleThreadExecutor();
        try (Engine engine = new Engine(EngineConfig.withCache(1 << 20).withBackgroundThreads(false))) {
            Volume v = engine.open(VolumeConfig.of("v"), new MemoryStore(1 << 20));
            String name = InProcessServerBuilder.generateName();
            GrpcServer server = GrpcServer.start(InProcessServerBuilder.forName(name).executor(worker),
                    new FixedCatalog(List.of(v), new LockStatsBook()));
            ManagedChannel ch = InProcessChannelBuilder.forName(name).build();
            try {
                VolumeIoGrpc.VolumeIoBlockingStub stub = VolumeIoGrpc.newBlockingStub(ch);
                Handle h = stub.openHandle(OpenHandleRequest.newBuilder().setVolume("volumes/v").build());
                CountDownLatch release = new CountDownLatch(1);
                worker.execute(() -> {
                    try {
                        release.await(); // the only worker is busy until the call has timed out
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
                StatusRuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
                        () -> stub.withDeadlineAfter(200, TimeUnit.MILLISECONDS)
                                .truncate(TruncateRequest.newBuilder().setHandle(h.getName()).setSizeBytes(4096).build()));
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
                release.countDown();
                // A call after it is served in order, behind the timed-out one: by then that one was dropped.
                assertThat(stub.stat(io.blockhaus.proto.v1.StatRequest.newBuilder().setHandle(h.getName()).build())
                        .getSizeBytes()).isEqualTo(1 << 20);
                assertThat(v.size()).isEqualTo(1 << 20);
            } finally {
                ch.shutdownNow();
                server.close();
                worker.shutdownNow();
            }
        }
    }
}
