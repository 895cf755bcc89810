package io.blockhaus.nbd;

import io.blockhaus.engine.Engine;
import io.blockhaus.engine.EngineConfig;
import io.blockhaus.engine.Volume;
import io.blockhaus.engine.VolumeConfig;
import io.blockhaus.engine.store.BackingStore;
import io.blockhaus.engine.store.MemoryStore;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** An engine plus an NBD server on an ephemeral loopback port, for tests. */
final class NbdTestServer implements AutoCloseable {
    final Engine engine;
    final List<Volume> volumes = new ArrayList<>();
    final NbdServer server;

    NbdTestServer(EngineConfig engineConfig, NbdServerConfig serverConfig, List<VolumeConfig> configs,
            List<BackingStore> stores) throws InterruptedException {
        engine = new Engine(engineConfig);
        for (int i = 0; i < configs.size(); i++) {
            volumes.add(engine.open(configs.get(i), stores.get(i)));
        }
        server = NbdServer.start(serverConfig, NbdExports.of(volumes));
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
        return new NbdServerConfig(d.listen(), maxConnections, handshakeTimeout, d.maxPayload(), maxInflightRequests,
                d.maxInflightBytes(), d.workerThreads());
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

    Volume volume(String name) {
        return volumes.stream().filter(v -> v.name().equals(name)).findFirst().orElseThrow();
    }

    int port() {
        return server.address().getPort();
    }

    String uri(String export) {
        return "nbd://127.0.0.1:" + port() + "/" + export;
    }

    @Override
    public void close() {
        server.close();
        engine.close();
    }
}
