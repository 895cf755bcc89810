package io.blockhaus.grpc;

import com.google.protobuf.ByteString;
import io.blockhaus.engine.Handle;
import io.blockhaus.engine.MappedBuffer;
import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import io.blockhaus.proto.v1.WriteRequest;
import io.blockhaus.proto.v1.WriteResponse;
import io.grpc.stub.StreamObserver;
import java.nio.ByteBuffer;

/**
 * One Write: the first message says where and how, every message's data is written at the next
 * offset as it arrives. gRPC asks the client for the next message only after this one's
 * {@code onNext} returns (the stub's automatic flow control for streaming requests), so at most
 * one chunk of a write is in the server's memory at a time, however long the write. FUA is
 * applied once, to the whole range, at the end: written back and forced before the answer. A
 * chunk (either mode) returns only after the mappings it invalidated were recalled (the engine's
 * recall before completion, see {@code io.blockhaus.engine.Recalls}). Each chunk's write runs
 * under the call's budget ({@link GrpcCallBudget}): cancelled or past its deadline, the chunk
 * waiting for a lock or memory gives up having written nothing, and the chunks before it stay
 * written, as after a short write(2).
 */
final class WriteReceiver implements StreamObserver<WriteRequest> {
    private final HandleTable handles;
    private final StreamObserver<WriteResponse> response;
    private Handle handle;
    private boolean direct;
    private boolean fua;
    private boolean fromMapping;
    private long start;
    private long pos;
    private boolean failed;

    WriteReceiver(HandleTable handles, StreamObserver<WriteResponse> response) {
        this.handles = handles;
        this.response = response;
    }

    @Override
    public void onNext(WriteRequest m) {
        if (failed) {
            return;
        }
        try {
            if (handle == null) {
                Calls.checkNotCancelled();
                GrpcCallBudget.run(() -> begin(m));
            } else if (!m.getHandle().isEmpty() || m.hasFromMapping()) {
                throw new ErrnoException(Errno.EINVAL, "only the first message of a Write names the handle or a mapping");
            }
            ByteString data = m.getData();
            if (data.isEmpty()) {
                return;
            }
            if (fromMapping) {
                throw new ErrnoException(Errno.EINVAL, "a Write from a mapping carries no data");
            }
            if (data.size() > Transfers.MAX_CHUNK) {
                throw new ErrnoException(Errno.EINVAL, "a Write message carries at most " + Transfers.MAX_CHUNK + " bytes");
            }
            // The data may span the transport's buffers (ZeroCopyWrites): written as they are, a gather write.
            ByteBuffer[] srcs = data.asReadOnlyByteBufferList().toArray(ByteBuffer[]::new);
            GrpcCallBudget.run(() -> {
                if (direct) {
                    handle.writeDirect(pos, srcs, false);
                } else {
                    handle.write(pos, srcs, false);
                }
            });
            pos += data.size();
        } catch (RuntimeException e) {
            failed = true;
            Calls.fail(response, e);
        }
    }

    private void begin(WriteRequest m) {
        handle = handles.get(m.getHandle()).engine();
        direct = Transfers.direct(m.getMode(), handle);
        fua = m.getFua();
        start = m.getOffset();
        pos = start;
        if (start < 0) {
            throw new ErrnoException(Errno.EINVAL, "bad offset " + start);
        }
        if (m.hasFromMapping()) {
            if (!direct) {
                throw new ErrnoException(Errno.EINVAL, "a mapping is a buffer for DIRECT writes only");
            }
            fromMapping = true;
            MappedBuffer b = Transfers.buffer(handles, m.getFromMapping(), m.getLength());
            handle.writeDirect(start, b, fua);
            pos = start + b.length();
            fua = false;
        }
    }

    @Override
    public void onError(Throwable t) {
        // The client cancelled: what was written stays written, as after a short write(2).
        failed = true;
    }

    @Override
    public void onCompleted() {
        if (failed) {
            return;
        }
        try {
            if (handle == null) {
                throw new ErrnoException(Errno.EINVAL, "a Write needs at least one message");
            }
            if (fua && pos > start) {
                handle.flush(start, pos - start);
            }
        } catch (RuntimeException e) {
            Calls.fail(response, e);
            return;
        }
        response.onNext(WriteResponse.newBuilder().setBytesWritten(pos - start).build());
        response.onCompleted();
    }
}
