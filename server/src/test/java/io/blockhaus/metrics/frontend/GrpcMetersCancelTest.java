package io.blockhaus.metrics.frontend;

import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.proto.v1.ReadRequest;
import io.blockhaus.proto.v1.ReadResponse;
import io.blockhaus.proto.v1.VolumeIoGrpc;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.Status;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A call the client cancels is counted once as CANCELLED, whether or not the service closes it too. */
class GrpcMetersCancelTest {

    /** The server side of one Read call, recording what the interceptor passes on. */
    private static final class FakeCall extends ServerCall<ReadRequest, ReadResponse> {
        final List<Status> closed = new ArrayList<>();

        @Override
        public void request(int numMessages) {
        }

        @Override
        public void sendHeaders(Metadata headers) {
        }

        @Override
        public void sendMessage(ReadResponse message) {
        }

        @Override
        public void close(Status status, Metadata trailers) {
            closed.add(status);
        }

        @Override
        public boolean isCancelled() {
            return false;
        }

        @Override
        public MethodDescriptor<ReadRequest, ReadResponse> getMethodDescriptor() {
            return VolumeIoGrpc.getReadMethod();
        }
    }

    @Test
    void aCancelledCallIsCountedOnceUnderCancelled() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        GrpcMeters meters = new GrpcMeters(registry, RequestHistograms.register(registry), "v"::equals);
        List<ServerCall<ReadRequest, ReadResponse>> seen = new ArrayList<>();
        FakeCall call = new FakeCall();
        ServerCall.Listener<ReadRequest> listener = meters.interceptor().interceptCall(call, new Metadata(), (c, h) -> {
            seen.add(c);
            return new ServerCall.Listener<>() {
            };
        });
        listener.onMessage(ReadRequest.newBuilder().setHandle("volumes/v/handles/3").build());
        listener.onCancel();
        seen.getFirst().close(Status.CANCELLED, new Metadata()); // a service that closes anyway
        assertThat(call.closed).containsExactly(Status.CANCELLED); // the status still goes out
        ScrapedRequests scraped = ScrapedRequests.of(registry);
        assertThat(scraped.series()).containsExactly(ScrapedRequests.labels("grpc", "v", "Read", "CANCELLED") + "}");
        assertThat(scraped.count("grpc", "v", "Read", "CANCELLED")).isEqualTo(1);
    }

    @Test
    void volumeNamesAreTakenFromResourceNamesOnly() {
        assertThat(GrpcMeters.volumeOf("volumes/disk1")).isEqualTo("disk1");
        assertThat(GrpcMeters.volumeOf("volumes/disk1/handles/7/mappings/2")).isEqualTo("disk1");
        assertThat(GrpcMeters.volumeOf("disk1")).isNull();
        assertThat(GrpcMeters.volumeOf("")).isNull();
    }
}
