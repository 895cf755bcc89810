package io.blockhaus.client;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.blockhaus.proto.v1.VolumeIoGrpc;
import io.blockhaus.proto.v1.WriteRequest;
import io.blockhaus.proto.v1.WriteResponse;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One Write call: the buffer goes out in chunks of at most {@value #CHUNK} bytes, each sent only
 * when the transport is ready for it (the on-ready callback wakes the sender), so a slow server
 * holds the client to about one chunk in flight, never the whole buffer copied into gRPC.
 */
final class ChunkedWrite implements ClientResponseObserver<WriteRequest, WriteResponse> {
    static final int CHUNK = 1 << 20;

    private final CompletableFuture<WriteResponse> done = new CompletableFuture<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition ready = lock.newCondition();
    private ClientCallStreamObserver<WriteRequest> requests;

    private ChunkedWrite() {
    }

    /** Writes {@code src} (position to limit, position advanced) after {@code header}'s fields. */
    static long run(VolumeIoGrpc.VolumeIoStub stub, WriteRequest header, ByteBuffer src) {
        ChunkedWrite w = new ChunkedWrite();
        stub.write(w);
        return w.send(header, src);
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<WriteRequest> requests) {
        this.requests = requests;
        requests.setOnReadyHandler(this::wake);
    }

    private long send(WriteRequest header, ByteBuffer src) {
        boolean first = true;
        try {
            while (first || src.hasRemaining()) {
                awaitReady();
                if (done.isDone()) {
                    break; // the server answered early: an error, thrown below
                }
                int n = Math.min(CHUNK, src.remaining());
                ByteBuffer slice = src.slice(src.position(), n);
                WriteRequest.Builder m = first ? header.toBuilder() : WriteRequest.newBuilder();
                // The slice is not copied: gRPC serialises it before onNext returns.
                requests.onNext(m.setData(wrap(slice)).build());
                src.position(src.position() + n);
                first = false;
            }
            requests.onCompleted();
        } catch (RuntimeException e) {
            requests.cancel("client failed", e);
            throw ClientErrors.from(e);
        }
        try {
            return done.get().getBytesWritten();
        } catch (ExecutionException e) {
            throw ClientErrors.from(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            requests.cancel("interrupted", e);
            throw ClientErrors.from(e);
        }
    }

    /**
     * The bytes as a ByteString without a copy. A heap buffer is wrapped by its array, so
     * protobuf serialises it into gRPC's buffers with one write of the whole slice; wrapped as a
     * ByteBuffer it goes through protobuf's 4 KiB staging buffer, a write at a time.
     */
    static ByteString wrap(ByteBuffer slice) {
        return slice.hasArray()
                ? UnsafeByteOperations.unsafeWrap(slice.array(), slice.arrayOffset() + slice.position(), slice.remaining())
                : UnsafeByteOperations.unsafeWrap(slice);
    }

    private void awaitReady() {
        lock.lock();
        try {
            while (!requests.isReady() && !done.isDone()) {
                ready.awaitUninterruptibly();
            }
        } finally {
            lock.unlock();
        }
    }

    private void wake() {
        lock.lock();
        try {
            ready.signalAll();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void onNext(WriteResponse value) {
        done.complete(value);
    }

    @Override
    public void onError(Throwable t) {
        done.completeExceptionally(t);
        wake();
    }

    @Override
    public void onCompleted() {
        done.complete(WriteResponse.getDefaultInstance());
        wake();
    }
}
