package io.blockhaus.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.engine.Engine;
import io.blockhaus.engine.EngineConfig;
import io.blockhaus.engine.VolumeConfig;
import io.blockhaus.engine.store.MemoryStore;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class ServerReadinessTest {

    private static VolumePlan plan(String name) {
        return new VolumePlan(VolumeConfig.of(name), Path.of("/data", name + ".img"), 1 << 20, true);
    }

    @Test
    void readyOnlyWithEveryVolumeOpenAndBothFrontEndsListeningUntilStopping() {
        ServerReadiness r = new ServerReadiness();
        assertThat(r.notReadyReason()).isEqualTo("the volumes are being opened");
        try (Engine engine = new Engine(EngineConfig.withCache(1 << 20));
                VolumeRegistry volumes = new VolumeRegistry((file, size, ro) -> new MemoryStore(size))) {
            volumes.openAll(List.of(plan("a"), plan("b")), () -> engine::open);
            r.volumesOpen(volumes);
            assertThat(r.notReadyReason()).isEqualTo("NBD is not listening yet");
            r.nbdListening();
            assertThat(r.notReadyReason()).isEqualTo("gRPC is not listening yet");
            r.grpcListening();
            assertThat(r.notReadyReason()).isNull();
            volumes.get("b").orElseThrow().close();
            assertThat(r.notReadyReason()).isEqualTo("volume b is closed");
            volumes.remove("b");
            assertThat(r.notReadyReason()).isNull();
            r.stopping();
            assertThat(r.notReadyReason()).isEqualTo("the server is stopping");
        }
    }
}
