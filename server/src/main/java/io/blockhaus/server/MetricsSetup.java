package io.blockhaus.server;

import io.blockhaus.limits.Refusals;
import io.blockhaus.metrics.frontend.FrontendMeters;
import io.blockhaus.metrics.frontend.GrpcMeters;
import io.blockhaus.metrics.frontend.NbdMeters;
import io.blockhaus.metrics.frontend.RequestHistograms;
import io.blockhaus.metrics.frontend.VolumeReadyGauges;
import io.blockhaus.metrics.http.MetricsHttpServer;
import io.blockhaus.metrics.http.Readiness;
import io.blockhaus.nbd.NbdEvents;
import io.blockhaus.nbd.NbdServer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import com.sun.net.httpserver.HttpsConfigurator;
import io.grpc.ServerBuilder;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The server's one meter registry and what serves it: built by {@code serve} before anything
 * else, so the endpoint answers {@code /healthz} (and a 503 {@code /readyz}) while the volumes
 * open. Holds Micrometer's JVM and process binders, the {@code blockhaus.volume.ready} gauges and
 * the HTTP endpoint; closes them last on shutdown. With {@code --metrics-listen off} there is no
 * registry at all and the front ends record nothing.
 */
final class MetricsSetup implements AutoCloseable {
    private final PrometheusMeterRegistry registry;
    private final JvmGcMetrics gc;
    private final RequestHistograms requests; // blockhaus.requests of both front ends
    private final NbdMeters nbd;
    private MetricsHttpServer http; // set once by start, before the setup is shared
    private boolean https; // likewise
    private volatile VolumeReadyGauges volumes;

    private MetricsSetup(PrometheusMeterRegistry registry) {
        this.registry = registry;
        if (registry == null) {
            gc = null;
            requests = null;
            nbd = null;
            return;
        }
        new JvmMemoryMetrics().bindTo(registry);
        gc = new JvmGcMetrics();
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        requests = RequestHistograms.register(registry);
        nbd = new NbdMeters(registry, requests);
    }

    /**
     * A registry with the JVM and process binders, served on {@code listen} (over HTTPS when
     * {@code https} is present: {@code --metrics-tls}); with a null {@code listen}
     * ({@code --metrics-listen off}) neither.
     *
     * @throws StartupException when {@code listen} cannot be bound (nothing is left open)
     */
    static MetricsSetup start(HostPort listen, Optional<HttpsConfigurator> https, Readiness readiness) {
        MetricsSetup m = new MetricsSetup(listen == null ? null : new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
        if (listen != null) {
            try {
                m.http = MetricsHttpServer.start(listen.toSocketAddress(), https, m.registry, m::beforeScrape, readiness);
                m.https = https.isPresent();
            } catch (RuntimeException e) {
                m.close();
                throw new StartupException("cannot listen for metrics on " + listen + ": " + e.getMessage(), e);
            }
        }
        return m;
    }

    /**
     * A registry of the same kind as {@link #start}'s, served nowhere (null when {@code on} is false):
     * the start-up warm-up's, so its requests run the meters' code without counting in the real ones.
     */
    static MetricsSetup unserved(boolean on) {
        return new MetricsSetup(on ? new PrometheusMeterRegistry(PrometheusConfig.DEFAULT) : null);
    }

    /** The registry every binding registers with; null when metrics are off. */
    MeterRegistry registry() {
        return registry;
    }

    /** Where the endpoint listens; null when metrics are off. */
    InetSocketAddress address() {
        return http == null ? null : http.address();
    }

    /** The start-up line's words: where metrics are served, or that they are off. */
    String describe() {
        InetSocketAddress a = address();
        return a == null ? "metrics off (--metrics-listen off): none recorded or served"
                : "metrics on " + (https ? "https://" : "http://") + new HostPort(a.getHostString(), a.getPort())
                        + "/metrics (Prometheus text, OpenMetrics when asked; /healthz, /readyz)";
    }

    /**
     * Binds what the volumes report. The one seam for the engine's meters: the binding of
     * io.blockhaus.metrics (lock, cache, readahead, writeback) connects here, with
     * {@link #registry()}, once it is merged. Today: the {@code blockhaus.volume.ready} gauges,
     * which follow the registry of volumes as gRPC creates and deletes them.
     */
    void bindVolumes(VolumeRegistry volumeRegistry) {
        if (registry != null) {
            volumes = new VolumeReadyGauges(registry, volumeRegistry::volumes);
        }
    }

    /** Where the NBD server reports its requests ({@link NbdEvents#NONE} when metrics are off). */
    NbdEvents nbdEvents() {
        return nbd == null ? NbdEvents.NONE : nbd;
    }

    /** {@code blockhaus.frontend.refused} of one front end's limits. */
    void bindRefusals(Refusals refusals) {
        if (registry != null) {
            FrontendMeters.refusals(registry, refusals);
        }
    }

    /** The NBD server's connections gauge, once it listens. */
    void bindNbd(NbdServer server) {
        if (nbd != null) {
            nbd.bindConnections(server);
        }
    }

    /**
     * What the gRPC server's builder gets: an interceptor timing calls and a transport filter
     * counting connections; nothing when metrics are off. Volume tags only for volumes
     * {@code volumes} holds.
     */
    Consumer<ServerBuilder<?>> grpcMeters(VolumeRegistry volumes) {
        if (registry == null) {
            return b -> { };
        }
        GrpcMeters grpc = new GrpcMeters(registry, requests, name -> volumes.get(name).isPresent());
        return b -> b.intercept(grpc.interceptor()).addTransportFilter(grpc.transportFilter());
    }

    private void beforeScrape() {
        VolumeReadyGauges v = volumes;
        if (v != null) {
            v.refresh();
        }
    }

    /** Stops the endpoint, then the binders and the registry. Idempotent. */
    @Override
    public void close() {
        if (http != null) {
            http.close();
        }
        if (gc != null) {
            gc.close();
        }
        if (registry != null) {
            registry.close();
        }
    }
}
