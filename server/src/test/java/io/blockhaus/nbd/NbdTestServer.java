package io.blockhaus.nbd;

import io.blockhaus.engine.Engine;
import io.blockhaus.engine.EngineConfig;
import io.blockhaus.engine.Volume;
import io.blockhaus.engine.VolumeConfig;
import io.blockhaus.engine.store.BackingStore;
import io.blockhaus.engine.store.MemoryStore;
import io.blockhaus.engine.store.SparseFileStore;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * An engine plus an NBD server on an ephemeral loopback port, for tests. Public (with
 * {@link #builder()}) so that tests in other packages, such as the external-client interop tests,
 * can start one.
 */
public final class NbdTestServer implements AutoCloseable {
    final Engine engine;
    final List<Volume> volumes = new ArrayList<>();
    final NbdServer server;

    NbdTestServer(EngineConfig engineConfig, NbdServerConfig serverConfig, List<VolumeConfig> configs,
            List<BackingStore> stores) throws InterruptedException {
        this(engineConfig, serverConfig, NbdSecurity.NONE, configs, stores);
    }

    NbdTestServer(EngineConfig engineConfig, NbdServerConfig serverConfig, NbdSecurity security,
            List<VolumeConfig> configs, List<BackingStore> stores) throws InterruptedException {
        engine = new Engine(engineConfig);
        for (int i = 0; i < configs.size(); i++) {
            volumes.add(engine.open(configs.get(i), stores.get(i)));
        }
        server = NbdServer.start(serverConfig, NbdExports.of(volumes), security);
    }

    /** One 64 MiB memory volume named "default". */
    static NbdTestServer memory(long size) throws InterruptedException {
        return new NbdTestServer(EngineConfig.withCache(32L << 20), config(),
                List.of(VolumeConfig.of("default")), List.of(new MemoryStore(size)));
    }

    static NbdServerConfig config() {
        return NbdServerConfig.defaults(new InetSocketAddress("127.0.0.1", 0));
    }

    /** The defaults on an ephemeral loopback port, with the limits hostile-input tests tighten. */
    static NbdServerConfig config(int maxConnections, Duration handshakeTimeout, int maxInflightRequests) {
        NbdServerConfig d = config();
        return new NbdServerConfig(d.listen(), maxConnections, handshakeTimeout, d.payloadStallTimeout(), d.maxPayload(), maxInflightRequests,
                d.maxInflightBytes(), d.maxServerInflightBytes(), d.workerThreads(), d.spliceWrites(), d.eventLoops(), d.copyLoopbackReads());
    }

    /** Memory volumes, one per config, each of the given size. */
    static NbdTestServer memory(NbdServerConfig serverConfig, long size, VolumeConfig... configs)
            throws InterruptedException {
        List<BackingStore> stores = new ArrayList<>();
        for (int i = 0; i < configs.length; i++) {
            stores.add(new MemoryStore(size));
        }
        return new NbdTestServer(EngineConfig.withCache(32L << 20), serverConfig, List.of(configs), stores);
    }

    public int port() {
        return server.address().getPort();
    }

    public String uri(String export) {
        return "nbd://127.0.0.1:" + port() + "/" + export;
    }

    @Override
    public void close() {
        server.close();
        engine.close();
    }

    /** {@code nbd://127.0.0.1:PORT} without an export name (for listing). */
    public String baseUri() {
        return "nbd://127.0.0.1:" + port();
    }

    public Engine engine() {
        return engine;
    }

    public NbdServer server() {
        return server;
    }

    /** The exported volume called {@code name}. */
    public Volume volume(String name) {
        return volumes.stream().filter(v -> v.name().equals(name)).findFirst()
                .orElseThrow(() -> new NoSuchElementException("no volume " + name));
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Several exports (memory or sparse-file backed, read-only, direct I/O), in the order added;
     * the one named "default" (or else the first) is the default export.
     */
    public static final class Builder {
        private EngineConfig engineConfig = EngineConfig.withCache(32L << 20);
        private NbdServerConfig serverConfig = config();
        private NbdSecurity security = NbdSecurity.NONE;
        private final List<VolumeConfig> configs = new ArrayList<>();
        private final List<BackingStore> stores = new ArrayList<>();

        private Builder() {
        }

        public Builder engine(EngineConfig config) {
            this.engineConfig = config;
            return this;
        }

        public Builder cacheBytes(long bytes) {
            this.engineConfig = EngineConfig.withCache(bytes).withBackgroundThreads(engineConfig.backgroundThreads());
            return this;
        }

        public Builder backgroundThreads(boolean on) {
            this.engineConfig = engineConfig.withBackgroundThreads(on);
            return this;
        }

        public Builder server(NbdServerConfig config) {
            this.serverConfig = config;
            return this;
        }

        /** TLS mode, handlers and export access (default: none, everything open). */
        public Builder security(NbdSecurity security) {
            this.security = security;
            return this;
        }

        /** A volume over any store; {@code config} says read-only, I/O mode, lock policy. */
        public Builder volume(VolumeConfig config, BackingStore store) {
            configs.add(config);
            stores.add(store);
            return this;
        }

        public Builder memory(String name, long size) {
            return volume(VolumeConfig.of(name), new MemoryStore(size));
        }

        public Builder memory(VolumeConfig config, long size) {
            return volume(config, new MemoryStore(size));
        }

        /** A new sparse file of {@code size} bytes at {@code path}. */
        public Builder file(String name, Path path, long size) {
            return file(VolumeConfig.of(name), path, size);
        }

        public Builder file(VolumeConfig config, Path path, long size) {
            return volume(config, SparseFileStore.create(path, size));
        }

        public NbdTestServer start() throws InterruptedException {
            if (configs.isEmpty()) {
                throw new IllegalStateException("no volumes");
            }
            return new NbdTestServer(engineConfig, serverConfig, security, configs, stores);
        }
    }
}
