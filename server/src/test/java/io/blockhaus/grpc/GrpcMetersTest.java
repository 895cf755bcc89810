package io.blockhaus.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.blockhaus.client.BlockhausClient;
import io.blockhaus.client.BlockhausException;
import io.blockhaus.client.MappedRegion;
import io.blockhaus.client.VolumeHandle;
import io.blockhaus.engine.Engine;
import io.blockhaus.engine.EngineConfig;
import io.blockhaus.engine.Volume;
import io.blockhaus.engine.VolumeConfig;
import io.blockhaus.engine.store.MemoryStore;
import io.blockhaus.metrics.frontend.GrpcMeters;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.blockhaus.metrics.frontend.RequestHistograms;
import io.blockhaus.metrics.frontend.ScrapedRequests;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The gRPC front end's meters through an in-process server: calls by method and status, tagged
 * with the volume their first message names when the server holds it, Read and Write payload
 * bytes, connections; and the client library's EDEADLOCK fallback counter on its registry.
 */
class GrpcMetersTest {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Engine engine = new Engine(EngineConfig.withCache(8 << 20).withBackgroundThreads(false));
    private final LockStatsBook stats = new LockStatsBook();
    private final Volume volume = engine.open(VolumeConfig.of("v"), new MemoryStore(4 << 20), stats.recorderFor("v"));
    private final GrpcMeters meters = new GrpcMeters(registry, RequestHistograms.register(registry), name -> name.equals("v"));
    private final String name = InProcessServerBuilder.generateName();
    private final GrpcServer server = GrpcServer.start(InProcessServerBuilder.forName(name).directExecutor()
            .intercept(meters.interceptor()).addTransportFilter(meters.transportFilter()),
            new FixedCatalog(List.of(volume), stats));
    private final ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();

    @AfterEach
    void stop() {
        channel.shutdownNow();
        server.close();
        engine.close();
    }

    private long calls(String volume, String op, String outcome) {
        return ScrapedRequests.of(registry).count("grpc", volume, op, outcome);
    }

    private double bytes(String direction) {
        var c = registry.find("blockhaus.frontend.bytes").tags("frontend", "grpc", "volume", "v", "direction", direction)
                .counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void callsAreTimedByMethodStatusAndVolumeWithPayloadBytes() {
        BlockhausClient client = BlockhausClient.builder(channel).build();
        try (VolumeHandle h = client.open("v")) {
            assertThat(registry.get("blockhaus.frontend.connections").tag("frontend", "grpc").gauge().value()).isEqualTo(1);
            h.write(0, ByteBuffer.allocate(8192), false);
            assertThat(h.read(0, 4096).remaining()).isEqualTo(4096);
            assertThat(h.read(4096, 4096).remaining()).isEqualTo(4096);
            h.flush();
        }
        assertThatThrownBy(() -> client.open("nope")).isInstanceOf(BlockhausException.class);
        assertThat(calls("v", "OpenHandle", "ok")).isEqualTo(1);
        assertThat(calls("v", "Write", "ok")).isEqualTo(1);
        assertThat(calls("v", "Read", "ok")).isEqualTo(2);
        assertThat(calls("v", "Flush", "ok")).isEqualTo(1);
        assertThat(calls("v", "CloseHandle", "ok")).isEqualTo(1);
        // An unknown volume is not a series of its own: its calls have no volume tag.
        assertThat(calls("", "OpenHandle", "NOT_FOUND")).isEqualTo(1);
        assertThat(registry.scrape()).doesNotContain("volume=\"nope\"");
        assertThat(bytes("in")).isEqualTo(8192);
        assertThat(bytes("out")).isEqualTo(8192);
        channel.shutdownNow();
        assertThat(registry.get("blockhaus.frontend.connections").tag("frontend", "grpc").gauge().value()).isZero();
    }

    @Test
    void theClientCountsItsEdeadlockFallbacksOnItsRegistry() {
        SimpleMeterRegistry app = new SimpleMeterRegistry();
        BlockhausClient client = BlockhausClient.builder(channel).meterRegistry(app).build();
        try (VolumeHandle h = client.open("v")) {
            h.write(1 << 20, ByteBuffer.allocate(8192), false);
            MappedRegion buf = h.map(0, 8192, true);
            h.readDirect(1 << 20, buf, 0, 8192);       // a mapping of the same volume: EDEADLOCK, redone buffered
            h.writeDirect(2 << 20, buf, 0, 8192, true); // likewise
        }
        assertThat(client.deadlockFallbacks()).isEqualTo(2);
        assertThat(app.get(BlockhausClient.FALLBACKS_METER).counter().count()).isEqualTo(2);
        // A second client on the same registry adds to the same meter.
        BlockhausClient other = BlockhausClient.builder(channel).meterRegistry(app).build();
        try (VolumeHandle h = other.open("v")) {
            h.readDirect(1 << 20, h.map(0, 8192, true), 0, 8192);
        }
        assertThat(other.deadlockFallbacks()).isEqualTo(1);
        assertThat(app.get(BlockhausClient.FALLBACKS_METER).counter().count()).isEqualTo(3);
        // The server saw the refusals as ABORTED Reads and Writes.
        assertThat(calls("v", "Read", "ABORTED")).isEqualTo(2);
        assertThat(calls("v", "Write", "ABORTED")).isEqualTo(1);
    }
}
