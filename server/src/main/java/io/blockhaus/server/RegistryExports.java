package io.blockhaus.server;

import io.blockhaus.engine.Volume;
import io.blockhaus.nbd.NbdExports;
import java.util.List;
import java.util.Optional;

/**
 * The NBD exports as the registry holds them now, not as they were at start-up: a volume created
 * over gRPC is offered to the next NBD client at once, and a deleted one no longer is. The empty
 * export name means {@code default} when there is one, else the first volume opened.
 */
final class RegistryExports implements NbdExports {
    private final VolumeRegistry registry;

    RegistryExports(VolumeRegistry registry) {
        this.registry = registry;
    }

    @Override
    public Optional<Volume> find(String name) {
        if (name.isEmpty()) {
            return registry.get(VolumePlan.DEFAULT_EXPORT_NAME).or(() -> registry.volumes().stream().findFirst());
        }
        return registry.get(name);
    }

    @Override
    public List<Volume> all() {
        return registry.volumes();
    }
}
