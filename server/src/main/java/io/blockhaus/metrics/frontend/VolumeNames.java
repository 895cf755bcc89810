package io.blockhaus.metrics.frontend;

import io.blockhaus.proto.v1.AckInvalidationsRequest;
import io.blockhaus.proto.v1.BlockStatusRequest;
import io.blockhaus.proto.v1.CloseHandleRequest;
import io.blockhaus.proto.v1.CreateVolumeRequest;
import io.blockhaus.proto.v1.DeleteVolumeRequest;
import io.blockhaus.proto.v1.FadviseRequest;
import io.blockhaus.proto.v1.FallocateRequest;
import io.blockhaus.proto.v1.FaultRequest;
import io.blockhaus.proto.v1.FlushRequest;
import io.blockhaus.proto.v1.GetLockStatsRequest;
import io.blockhaus.proto.v1.GetVolumeRequest;
import io.blockhaus.proto.v1.MapRequest;
import io.blockhaus.proto.v1.OpenHandleRequest;
import io.blockhaus.proto.v1.ReadRequest;
import io.blockhaus.proto.v1.ReadResponse;
import io.blockhaus.proto.v1.ResizeVolumeRequest;
import io.blockhaus.proto.v1.StatRequest;
import io.blockhaus.proto.v1.TruncateRequest;
import io.blockhaus.proto.v1.UnmapRequest;
import io.blockhaus.proto.v1.WatchRequest;
import io.blockhaus.proto.v1.WriteRequest;

/**
 * Which resource a Blockhaus request names, and the payload of Read and Write messages, read
 * from the parsed messages by type (no reflection). A message type missing here (a new RPC)
 * is tagged with no volume until it is added.
 */
final class VolumeNames {
    static final String PREFIX = "volumes/";

    private VolumeNames() {
    }

    /** The resource name in a request (a volume, handle or mapping name), or null. */
    static String named(Object request) {
        return switch (request) {
            case ReadRequest r -> r.getHandle();
            case WriteRequest r -> r.getHandle();
            case OpenHandleRequest r -> r.getVolume();
            case CloseHandleRequest r -> r.getHandle();
            case FlushRequest r -> r.getHandle();
            case FallocateRequest r -> r.getHandle();
            case FadviseRequest r -> r.getHandle();
            case TruncateRequest r -> r.getHandle();
            case BlockStatusRequest r -> r.getHandle();
            case StatRequest r -> r.getHandle();
            case MapRequest r -> r.getHandle();
            case UnmapRequest r -> r.getMapping();
            case FaultRequest r -> r.getMapping();
            case WatchRequest r -> r.getHandle();
            case AckInvalidationsRequest r -> r.getHandle();
            case CreateVolumeRequest r -> PREFIX + r.getVolumeId();
            case DeleteVolumeRequest r -> r.getName();
            case GetVolumeRequest r -> r.getName();
            case ResizeVolumeRequest r -> r.getName();
            case GetLockStatsRequest r -> r.getName();
            case null, default -> null;
        };
    }

    /** Bytes of data a Write message carries; 0 for anything else. */
    static int writePayload(Object request) {
        return request instanceof WriteRequest w ? w.getData().size() : 0;
    }

    /** Bytes of data a Read response carries; 0 for anything else. */
    static int readPayload(Object response) {
        return response instanceof ReadResponse r ? r.getData().size() : 0;
    }
}
