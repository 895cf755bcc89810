package io.blockhaus.grpc;

import io.blockhaus.engine.IoMode;
import io.blockhaus.engine.lock.LockPolicy;

/** The engine's enums and the API's, both ways. */
final class ProtoEnums {
    private ProtoEnums() {
    }

    static io.blockhaus.proto.v1.IoMode io(IoMode m) {
        return switch (m) {
            case BUFFERED -> io.blockhaus.proto.v1.IoMode.BUFFERED;
            case DIRECT -> io.blockhaus.proto.v1.IoMode.DIRECT;
        };
    }

    static IoMode io(io.blockhaus.proto.v1.IoMode m) {
        return switch (m) {
            case DIRECT -> IoMode.DIRECT;
            case BUFFERED, IO_MODE_UNSPECIFIED, UNRECOGNIZED -> IoMode.BUFFERED;
        };
    }

    static io.blockhaus.proto.v1.LockPolicy policy(LockPolicy p) {
        return switch (p) {
            case TWO_STATE -> io.blockhaus.proto.v1.LockPolicy.TWO_STATE;
            case RANGE -> io.blockhaus.proto.v1.LockPolicy.RANGE;
        };
    }

    static LockPolicy policy(io.blockhaus.proto.v1.LockPolicy p) {
        return switch (p) {
            case RANGE -> LockPolicy.RANGE;
            case TWO_STATE, LOCK_POLICY_UNSPECIFIED, UNRECOGNIZED -> LockPolicy.TWO_STATE;
        };
    }
}
