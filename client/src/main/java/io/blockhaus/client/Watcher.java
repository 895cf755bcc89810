package io.blockhaus.client;

import com.google.protobuf.Empty;
import io.blockhaus.proto.v1.AckInvalidationsRequest;
import io.blockhaus.proto.v1.Invalidation;
import io.blockhaus.proto.v1.WatchRequest;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A handle's Watch stream, started with its first mapping: each invalidation drops the pages it
 * names from the region they belong to. The server queues invalidations per handle from the
 * first Map on, so none is lost between Map and the stream's start.
 */
final class Watcher implements ClientResponseObserver<WatchRequest, Invalidation> {
    private final BlockhausClient client;
    private final String handle;
    private final Map<String, MappedRegion> regions = new ConcurrentHashMap<>();
    private ClientCallStreamObserver<WatchRequest> call; // guarded by this
    private boolean closed; // guarded by this

    Watcher(BlockhausClient client, String handle) {
        this.client = client;
        this.handle = handle;
    }

    synchronized void add(MappedRegion region) {
        regions.put(region.name(), region);
        if (call == null && !closed) {
            client.ioAsync().watch(WatchRequest.newBuilder().setHandle(handle).build(), this);
        }
    }

    @Override
    public synchronized void beforeStart(ClientCallStreamObserver<WatchRequest> requestStream) {
        call = requestStream;
    }

    @Override
    public void onNext(Invalidation inv) {
        MappedRegion r = regions.get(inv.getMapping());
        if (r != null) {
            r.dropRange(inv.getOffset(), inv.getLength());
        }
        // Pages dropped: say so, so the direct write or punch that caused this can return. Only
        // numbered invalidations are acknowledged (acknowledgements are cumulative).
        if (inv.getSequence() > 0) {
            client.ioAsync().ackInvalidations(AckInvalidationsRequest.newBuilder().setHandle(handle)
                    .setSequence(inv.getSequence()).build(), IGNORE);
        }
    }

    /** A lost acknowledgement costs the writer the recall timeout and this side a remap: nothing to do here. */
    private static final StreamObserver<Empty> IGNORE = new StreamObserver<>() {
        @Override
        public void onNext(Empty value) {
        }

        @Override
        public void onError(Throwable t) {
        }

        @Override
        public void onCompleted() {
        }
    };

    /** A region mapped again after ESTALE is known by its new name. */
    void rename(String oldName, MappedRegion region) {
        regions.remove(oldName, region);
        regions.put(region.name(), region);
    }

    void remove(MappedRegion region) {
        regions.remove(region.name(), region);
    }

    @Override
    public void onError(Throwable t) {
        // The handle closed or the connection broke; pages are dropped with their regions.
    }

    @Override
    public void onCompleted() {
    }

    synchronized void close() {
        closed = true;
        if (call != null) {
            call.cancel("handle closed", null);
        }
    }
}
