package io.blockhaus.nbd;

import io.blockhaus.client.BlockhausClient;
import io.blockhaus.client.MappedRegion;
import io.blockhaus.client.VolumeHandle;
import java.nio.ByteBuffer;

/**
 * Child JVM for {@code GrpcNbdCoherenceTest.aClientKilledWhileItHoldsAMappingDelaysAnNbdDirectWriteByAtMostTheRecallTimeout}:
 * connects to the gRPC server, maps a range of a volume, loads every page of it (so the server
 * records them all as mapped by this client), prints {@code MAPPED <pages>}, then waits to be
 * killed (or gives up after two minutes, so an orphan never lingers).
 *
 * <p>Arguments: target (host:port), volume, offset, length.
 */
public final class MapThenKillChild {
    private MapThenKillChild() {
    }

    public static void main(String[] args) throws InterruptedException {
        BlockhausClient client = BlockhausClient.connect(args[0]);
        VolumeHandle h = client.open(args[1]);
        MappedRegion m = h.map(Long.parseLong(args[2]), Long.parseLong(args[3]), false);
        m.get(0, ByteBuffer.allocate((int) m.length()));
        System.out.println("MAPPED " + m.cachedPages());
        System.out.flush();
        Thread.sleep(120_000);
    }
}
