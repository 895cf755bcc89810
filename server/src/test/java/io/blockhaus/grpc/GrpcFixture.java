package io.blockhaus.grpc;

import io.blockhaus.client.BlockhausClient;
import io.blockhaus.engine.Engine;
import io.blockhaus.engine.EngineConfig;
import io.blockhaus.engine.Volume;
import io.blockhaus.engine.VolumeConfig;
import io.blockhaus.engine.store.MemoryStore;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.util.ArrayList;
import java.util.List;

/** An engine with memory volumes behind an in-process gRPC server (direct executor), and a client over it. */
final class GrpcFixture implements AutoCloseable {
    final Engine engine = new Engine(EngineConfig.withCache(8 << 20).withBackgroundThreads(false));
    final LockStatsBook stats = new LockStatsBook();
    final List<Volume> volumes = new ArrayList<>();
    final GrpcServer server;
    final ManagedChannel channel;

    GrpcFixture(long size, VolumeConfig... configs) {
        this(GrpcSecurity.NONE, size, configs);
    }

    GrpcFixture(GrpcSecurity security, long size, VolumeConfig... configs) {
        for (VolumeConfig c : configs) {
            volumes.add(engine.open(c, new MemoryStore(size), stats.recorderFor(c.name())));
        }
        String name = InProcessServerBuilder.generateName();
        server = GrpcServer.start(InProcessServerBuilder.forName(name).directExecutor(),
                new FixedCatalog(volumes, stats), security);
        channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    }

    BlockhausClient client(boolean fallback) {
        return BlockhausClient.builder(channel).fallbackOnDeadlock(fallback).build();
    }

    @Override
    public void close() {
        channel.shutdownNow();
        server.close();
        engine.close();
    }
}
