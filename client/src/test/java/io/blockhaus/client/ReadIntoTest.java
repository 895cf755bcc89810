package io.blockhaus.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import io.blockhaus.proto.v1.ReadResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Read replies parsed straight into the caller's buffer: in order, whatever the order of the
 * fields and whatever fields a newer server adds; a reply that overruns the buffer or is cut
 * short fails the call instead of writing past the range.
 */
class ReadIntoTest {

    @Test
    void repliesFillTheBufferInOrderSkippingOtherFields() throws IOException {
        ByteBuffer out = ByteBuffer.allocate(10);
        ReadInto into = new ReadInto(out);
        byte[] first = ReadResponse.newBuilder().setOffset(100).setData(ByteString.copyFromUtf8("hello")).build().toByteArray();
        assertThat(into.parse(new ByteArrayInputStream(first)).bytes()).isEqualTo(5);

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream o = CodedOutputStream.newInstance(bytes);
        o.writeFixed64(20, 1); // fields this version does not know, of every wire type, around the data
        o.writeBytes(ReadResponse.DATA_FIELD_NUMBER, ByteString.copyFromUtf8("world"));
        o.writeFixed32(21, 2);
        o.writeString(22, "x");
        o.writeInt64(ReadResponse.OFFSET_FIELD_NUMBER, -1L); // a ten-byte varint, after the data
        o.flush();
        assertThat(into.parse(new ByteArrayInputStream(bytes.toByteArray())).bytes()).isEqualTo(5);
        assertThat(out.position()).isEqualTo(10);
        assertThat(new String(out.array())).isEqualTo("helloworld");
    }

    @Test
    void aReplyThatOverrunsTheRangeFailsTheCallAndWritesNothing() {
        ByteBuffer out = ByteBuffer.allocate(4);
        byte[] reply = ReadResponse.newBuilder().setData(ByteString.copyFromUtf8("too long")).build().toByteArray();
        assertThatThrownBy(() -> new ReadInto(out).parse(new ByteArrayInputStream(reply)))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL));
        assertThat(out.position()).isZero();
        assertThat(out.array()).containsOnly(0);
    }

    @Test
    void aTruncatedReplyFailsTheCall() {
        byte[] reply = ReadResponse.newBuilder().setData(ByteString.copyFromUtf8("abcdef")).build().toByteArray();
        assertThatThrownBy(() -> new ReadInto(ByteBuffer.allocate(6))
                .parse(new ByteArrayInputStream(Arrays.copyOf(reply, reply.length - 2))))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL));
    }
}
