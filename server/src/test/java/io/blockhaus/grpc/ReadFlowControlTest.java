package io.blockhaus.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.engine.VolumeConfig;
import io.blockhaus.engine.lock.LockMode;
import io.blockhaus.proto.v1.Handle;
import io.blockhaus.proto.v1.IoMode;
import io.blockhaus.proto.v1.OpenHandleRequest;
import io.blockhaus.proto.v1.ReadRequest;
import io.blockhaus.proto.v1.ReadResponse;
import io.blockhaus.proto.v1.VolumeIoGrpc;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A reader that asks for one chunk at a time gets one at a time, and the server reads the next
 * from the engine only when the reader can take it: each direct-read chunk takes BLOCK once, so
 * the lock's acquisition count is the number of chunks the server has read.
 */
class ReadFlowControlTest {

    @Test
    void aSlowReaderHoldsTheServerToOneChunk() {
        try (GrpcFixture f = new GrpcFixture(8 << 20, VolumeConfig.of("v"))) {
            Handle h = VolumeIoGrpc.newBlockingStub(f.channel).openHandle(
                    OpenHandleRequest.newBuilder().setVolume("volumes/v").build());
            List<ReadResponse> got = new ArrayList<>();
            boolean[] completed = new boolean[1];
            AtomicReference<ClientCallStreamObserver<ReadRequest>> call = new AtomicReference<>();
            VolumeIoGrpc.newStub(f.channel).read(ReadRequest.newBuilder().setHandle(h.getName()).setOffset(0)
                    .setLength(8 << 20).setMode(IoMode.DIRECT).build(), new ClientResponseObserver<ReadRequest, ReadResponse>() {
                        @Override
                        public void beforeStart(ClientCallStreamObserver<ReadRequest> s) {
                            call.set(s);
                            s.disableAutoRequestWithInitial(1);
                        }

                        @Override
                        public void onNext(ReadResponse r) {
                            got.add(r);
                        }

                        @Override
                        public void onError(Throwable t) {
                            throw new AssertionError(t);
                        }

                        @Override
                        public void onCompleted() {
                            completed[0] = true;
                        }
                    });
            long blocks = f.stats.find("v").orElseThrow().snapshot(LockMode.BLOCK).acquisitions();
            assertThat(got).hasSize(1);
            assertThat(blocks).isEqualTo(1);
            call.get().request(2);
            assertThat(got).hasSize(3);
            assertThat(f.stats.find("v").orElseThrow().snapshot(LockMode.BLOCK).acquisitions()).isEqualTo(3);
            call.get().request(100);
            assertThat(got).hasSize(8);
            assertThat(completed[0]).isTrue();
            assertThat(got).extracting(ReadResponse::getOffset).containsExactly(0L, 1L << 20, 2L << 20, 3L << 20,
                    4L << 20, 5L << 20, 6L << 20, 7L << 20);
            assertThat(got).allSatisfy(r -> assertThat(r.getData().size()).isEqualTo(1 << 20));
        }
    }
}
