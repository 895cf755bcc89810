package io.blockhaus.client.bench;

import com.google.protobuf.ByteString;
import com.google.protobuf.Empty;
import com.google.protobuf.UnsafeByteOperations;
import io.blockhaus.proto.v1.CloseHandleRequest;
import io.blockhaus.proto.v1.Handle;
import io.blockhaus.proto.v1.OpenHandleRequest;
import io.blockhaus.proto.v1.ReadRequest;
import io.blockhaus.proto.v1.ReadResponse;
import io.blockhaus.proto.v1.VolumeIoGrpc;
import io.blockhaus.proto.v1.WatchRequest;
import io.blockhaus.proto.v1.Invalidation;
import io.blockhaus.proto.v1.WriteRequest;
import io.blockhaus.proto.v1.WriteResponse;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code NullServer PORT [pool|direct]}: the ceiling of the gRPC path on this machine. It speaks
 * the data plane's Read and Write (and OpenHandle/CloseHandle, so {@link GrpcBench} runs against
 * it unchanged) but does nothing: a Read answers slices of one preallocated buffer, a Write drops
 * its bytes. What {@code GrpcBench} reaches against it is what the transport, protobuf and the
 * client library cost without any engine; if a target lies above it, no server change reaches it.
 * {@code pool} (the default) runs calls on 16 threads as {@code serve} does; {@code direct} runs
 * them on the transport's event loops. Loopback only; stops when killed.
 */
public final class NullServer extends VolumeIoGrpc.VolumeIoImplBase {
    private static final int CHUNK = 1 << 20;
    private final ByteString chunk = UnsafeByteOperations.unsafeWrap(new byte[CHUNK]);
    private final AtomicLong ids = new AtomicLong();

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        boolean direct = args.length > 1 && args[1].equals("direct");
        NettyServerBuilder b = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port));
        ExecutorService pool = null;
        if (direct) {
            b.directExecutor();
        } else {
            pool = Executors.newFixedThreadPool(16, Thread.ofPlatform().daemon().factory());
            b.executor(pool);
        }
        // The transport as serve's GrpcServer.listen sets it up (its receive window), minus epoll.
        Server s = b.addService(new NullServer()).maxInboundMessageSize(CHUNK + 64 * 1024)
                .initialFlowControlWindow(8 << 20).build().start();
        System.out.println("null server on 127.0.0.1:" + s.getPort() + (direct ? " (direct executor)" : " (16 threads)"));
        s.awaitTermination();
    }

    @Override
    public void openHandle(OpenHandleRequest r, StreamObserver<Handle> out) {
        out.onNext(Handle.newBuilder().setName(r.getVolume() + "/handles/" + ids.incrementAndGet())
                .setSizeBytes(1L << 40).setPageSize(4096).build());
        out.onCompleted();
    }

    @Override
    public void closeHandle(CloseHandleRequest r, StreamObserver<Empty> out) {
        out.onNext(Empty.getDefaultInstance());
        out.onCompleted();
    }

    @Override
    public void watch(WatchRequest r, StreamObserver<Invalidation> out) {
        // Left open: the client's Watch stream idles as it does against a real server.
    }

    @Override
    public void read(ReadRequest r, StreamObserver<ReadResponse> out) {
        ServerCallStreamObserver<ReadResponse> call = (ServerCallStreamObserver<ReadResponse>) out;
        long pos = r.getOffset();
        long end = pos + r.getLength();
        // No pacing by isReady: the bench keeps one read of at most a few chunks per call.
        while (pos < end && !call.isCancelled()) {
            int n = (int) Math.min(CHUNK, end - pos);
            call.onNext(ReadResponse.newBuilder().setOffset(pos).setData(chunk.substring(0, n)).build());
            pos += n;
        }
        call.onCompleted();
    }

    @Override
    public StreamObserver<WriteRequest> write(StreamObserver<WriteResponse> out) {
        return new StreamObserver<>() {
            private long written;

            @Override
            public void onNext(WriteRequest m) {
                written += m.getData().size();
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onCompleted() {
                out.onNext(WriteResponse.newBuilder().setBytesWritten(written).build());
                out.onCompleted();
            }
        };
    }
}
