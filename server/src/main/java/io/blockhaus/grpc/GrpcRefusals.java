package io.blockhaus.grpc;

import java.util.concurrent.atomic.LongAdder;

/**
 * Calls turned away by access control, by reason (the {@code reason} tag of
 * {@code blockhaus.frontend.refused{frontend=grpc}} in docs/metrics.md): {@code access} (a
 * volume the caller's allow list does not admit: NOT_FOUND to OpenHandle, GetVolume,
 * GetLockStats, ResizeVolume; ListVolumes leaving it out is not counted, it is no request for
 * it) and {@code admin} (an admin RPC from a caller {@code --admin} does not name). Written on
 * call threads, read by tests and the metrics binding.
 */
final class GrpcRefusals {
    private final LongAdder access = new LongAdder();
    private final LongAdder admin = new LongAdder();

    void access() {
        access.increment();
    }

    void admin() {
        admin.increment();
    }

    long accessRefusals() {
        return access.sum();
    }

    long adminRefusals() {
        return admin.sum();
    }
}
