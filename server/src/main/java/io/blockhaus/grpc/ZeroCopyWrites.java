package io.blockhaus.grpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.UnsafeByteOperations;
import com.google.protobuf.WireFormat;
import io.blockhaus.proto.v1.VolumeIoGrpc;
import io.blockhaus.proto.v1.WriteRequest;
import io.blockhaus.proto.v1.WriteResponse;
import io.grpc.Detachable;
import io.grpc.HasByteBuffer;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.InputStream;
import java.util.function.Supplier;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Write messages received without copying their data: the bytes stay in the transport's own
 * buffers (direct memory over Netty) until the engine has written them, then go back to the
 * transport.
 *
 * <p>gRPC's default protobuf marshaller copies every message twice before the service sees it
 * (the transport's buffers into a reused array, the array into the message's ByteString), and
 * the engine then copies a heap buffer a third time into native memory for pwrite. Here the
 * Write method's request marshaller instead detaches the message's stream from the transport
 * ({@link Detachable}: the buffers become ours, and the transport no longer frees them), wraps its
 * buffers ({@link HasByteBuffer}) and slices the data field out of them, so the data reaches the
 * engine as the received direct buffers ({@code Handle.write(long, ByteBuffer[], boolean)}).
 *
 * <p>Lifetime: a {@link Chunk} owns the detached stream, and {@link #bind} closes it (giving the
 * buffers back) once the receiver's {@code onNext} returns, whatever it did. That is safe because
 * {@link WriteReceiver} writes each message's bytes before {@code onNext} returns, and the engine
 * copies what it keeps (into cached pages, or the store). So the memory held is the one message
 * gRPC's flow control lets in at a time, as before.
 *
 * <p>A stream that cannot be detached (the in-process transport of tests) is parsed as gRPC's
 * default marshaller does, with its copies.
 */
final class ZeroCopyWrites {
    /** The data field's tag: its number, and wire type 2 (length-delimited). */
    private static final int DATA_TAG = WriteRequest.DATA_FIELD_NUMBER << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED;
    /** gRPC's generated (protobuf) marshaller. */
    private static final MethodDescriptor.Marshaller<WriteRequest> COPYING =
            VolumeIoGrpc.getWriteMethod().getRequestMarshaller();

    private ZeroCopyWrites() {
    }

    /**
     * One received Write message; its data may live in {@code backing}, the transport's buffers,
     * until {@link #close}. A {@link Supplier} of the message, so what watches calls from outside
     * this package (the metrics interceptor) reads the WriteRequest without knowing this type.
     */
    record Chunk(WriteRequest message, InputStream backing) implements AutoCloseable, Supplier<WriteRequest> {
        @Override
        public WriteRequest get() {
            return message;
        }

        @Override
        public void close() {
            if (backing != null) {
                try {
                    backing.close();
                } catch (IOException e) {
                    throw new IllegalStateException("releasing a received Write message failed", e);
                }
            }
        }
    }

    /**
     * The service's methods with Write's requests received as {@link Chunk}s: each is handed to
     * the service's own Write observer as its message, then released.
     */
    static ServerServiceDefinition bind(VolumeIoGrpc.VolumeIoImplBase service) {
        ServerServiceDefinition generated = service.bindService();
        MethodDescriptor<WriteRequest, WriteResponse> original = VolumeIoGrpc.getWriteMethod();
        MethodDescriptor<Chunk, WriteResponse> write = original.toBuilder(new ChunkMarshaller(),
                original.getResponseMarshaller()).build();
        ServiceDescriptor.Builder descriptor = ServiceDescriptor.newBuilder(VolumeIoGrpc.SERVICE_NAME)
                .setSchemaDescriptor(generated.getServiceDescriptor().getSchemaDescriptor());
        List<ServerMethodDefinition<?, ?>> kept = new ArrayList<>();
        for (ServerMethodDefinition<?, ?> m : generated.getMethods()) {
            if (!m.getMethodDescriptor().getFullMethodName().equals(original.getFullMethodName())) {
                kept.add(m);
                descriptor.addMethod(m.getMethodDescriptor());
            }
        }
        ServerServiceDefinition.Builder b = ServerServiceDefinition.builder(descriptor.addMethod(write).build());
        kept.forEach(b::addMethod);
        return b.addMethod(write, ServerCalls.asyncClientStreamingCall(out -> releasing(service.write(out)))).build();
    }

    private static StreamObserver<Chunk> releasing(StreamObserver<WriteRequest> receiver) {
        return new StreamObserver<>() {
            @Override
            public void onNext(Chunk c) {
                try (c) {
                    receiver.onNext(c.message());
                }
            }

            @Override
            public void onError(Throwable t) {
                receiver.onError(t);
            }

            @Override
            public void onCompleted() {
                receiver.onCompleted();
            }
        };
    }

    /** Parses a Write message over the transport's buffers where the stream lets it, else by copying. */
    static final class ChunkMarshaller implements MethodDescriptor.Marshaller<Chunk> {
        @Override
        public InputStream stream(Chunk value) {
            return COPYING.stream(value.message());
        }

        @Override
        public Chunk parse(InputStream stream) {
            if (!(stream instanceof KnownLength && stream instanceof Detachable d && stream instanceof HasByteBuffer h
                    && h.byteBufferSupported() && stream.markSupported())) {
                return new Chunk(COPYING.parse(stream), null);
            }
            InputStream detached = d.detach();
            try {
                return new Chunk(parse(buffers(detached)), detached);
            } catch (IOException | RuntimeException e) {
                close(detached, e);
                throw Status.INTERNAL.withDescription("invalid Write message").withCause(e).asRuntimeException();
            }
        }

        /**
         * The stream's bytes as one ByteString over its buffers, without a copy. The mark keeps
         * each buffer the walk skips past: unmarked, gRPC's stream releases a buffer to the
         * transport's pool as soon as it has been read past, and the bytes would be reused under
         * the message; the reset puts them all back for {@link Chunk#close} to release.
         */
        private static ByteString buffers(InputStream detached) throws IOException {
            HasByteBuffer h = (HasByteBuffer) detached;
            detached.mark(detached.available());
            ByteString all = ByteString.EMPTY;
            while (detached.available() > 0) {
                ByteBuffer b = h.getByteBuffer();
                all = all.concat(UnsafeByteOperations.unsafeWrap(b.slice()));
                detached.skipNBytes(b.remaining());
            }
            detached.reset();
            return all;
        }

        /**
         * The message with its data field a slice of {@code bytes}: the other fields (a few
         * bytes of header, first message only) are parsed as usual, the data is skipped over.
         */
        static WriteRequest parse(ByteString bytes) throws IOException {
            CodedInputStream in = bytes.newCodedInput();
            ByteString header = ByteString.EMPTY;
            ByteString data = ByteString.EMPTY;
            while (true) {
                int start = in.getTotalBytesRead();
                int tag = in.readTag();
                if (tag == 0) {
                    break;
                }
                if (tag == DATA_TAG) {
                    int length = in.readRawVarint32();
                    int at = in.getTotalBytesRead();
                    in.skipRawBytes(length);
                    data = bytes.substring(at, at + length);
                } else {
                    in.skipField(tag);
                    header = header.concat(bytes.substring(start, in.getTotalBytesRead()));
                }
            }
            return WriteRequest.parseFrom(header).toBuilder().setData(data).build();
        }

        private static void close(InputStream detached, Exception cause) {
            try {
                detached.close();
            } catch (IOException | RuntimeException e) {
                cause.addSuppressed(e);
            }
        }
    }
}
