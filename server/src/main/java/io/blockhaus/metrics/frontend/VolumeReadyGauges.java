package io.blockhaus.metrics.frontend;

import io.blockhaus.engine.Volume;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * {@code blockhaus.volume.ready}: one gauge per volume the server holds, 1 while it is open, 0
 * once closed. The set of volumes changes (created and deleted over gRPC), so the gauges follow
 * it at each scrape ({@link #refresh}, called before the registry is read): a new volume gets its
 * gauge, a deleted one loses it, with nothing to hook into the code that creates or deletes.
 */
public final class VolumeReadyGauges {
    public static final String NAME = "blockhaus.volume.ready";

    private final Supplier<? extends List<Volume>> volumes;
    private final MultiGauge gauges;

    public VolumeReadyGauges(MeterRegistry registry, Supplier<? extends List<Volume>> volumes) {
        this.volumes = volumes;
        this.gauges = MultiGauge.builder(NAME)
                .description("1 while the volume is open and served")
                .register(registry);
    }

    /** Brings the gauges in line with the volumes held now. Safe from any thread. */
    public synchronized void refresh() {
        List<MultiGauge.Row<?>> rows = new ArrayList<>();
        for (Volume v : volumes.get()) {
            // The gauge holds the volume weakly, which is enough: the registry holds it while
            // it is served, and a deleted one is dropped here before the next scrape reads it.
            rows.add(MultiGauge.Row.of(Tags.of("volume", v.name()), v, x -> x.isClosed() ? 0 : 1));
        }
        gauges.register(rows, true);
    }
}
