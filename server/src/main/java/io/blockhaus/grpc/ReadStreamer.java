package io.blockhaus.grpc;

import com.google.protobuf.UnsafeByteOperations;
import io.blockhaus.engine.Handle;
import io.blockhaus.proto.v1.ReadResponse;
import io.grpc.stub.ServerCallStreamObserver;
import java.nio.ByteBuffer;

/**
 * One Read answered in chunks of at most {@link Transfers#MAX_CHUNK}, each read from the engine
 * only when the transport can take it ({@code isReady}); otherwise it stops and the on-ready
 * callback resumes it. So a slow reader holds the server to about one chunk plus the transport's
 * window, whatever length it asked for. Each chunk is its own engine read: a large read is not
 * one snapshot, as a large read(2) is not. The chunk's array goes to gRPC without a copy.
 */
final class ReadStreamer {
    private final ServerCallStreamObserver<ReadResponse> observer;
    private final Handle handle;
    private final boolean direct;
    private final long end;
    private long pos;
    private boolean done; // guarded by this
    private volatile boolean cancelled;

    private ReadStreamer(ServerCallStreamObserver<ReadResponse> observer, Handle handle, long offset, long length,
            boolean direct) {
        this.observer = observer;
        this.handle = handle;
        this.direct = direct;
        this.pos = offset;
        this.end = offset + length;
    }

    /** Starts streaming {@code [offset, offset+length)}; the range was checked. */
    static void start(ServerCallStreamObserver<ReadResponse> observer, Handle handle, long offset, long length,
            boolean direct) {
        ReadStreamer s = new ReadStreamer(observer, handle, offset, length, direct);
        observer.setOnCancelHandler(() -> s.cancelled = true);
        observer.setOnReadyHandler(s::pump);
        s.pump();
    }

    private synchronized void pump() {
        try {
            while (!done && !cancelled && !observer.isCancelled() && observer.isReady()) {
                if (pos >= end) {
                    done = true;
                    observer.onCompleted();
                    return;
                }
                int n = (int) Math.min(Transfers.MAX_CHUNK, end - pos);
                ByteBuffer chunk = ByteBuffer.allocate(n);
                GrpcCallBudget.run(() -> {
                    if (direct) {
                        handle.readDirect(pos, chunk);
                    } else {
                        handle.read(pos, chunk);
                    }
                });
                observer.onNext(ReadResponse.newBuilder().setOffset(pos)
                        .setData(UnsafeByteOperations.unsafeWrap(chunk.array())).build());
                pos += n;
            }
        } catch (RuntimeException e) {
            done = true;
            Calls.fail(observer, e);
        }
    }
}
