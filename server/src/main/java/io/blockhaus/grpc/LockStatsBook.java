package io.blockhaus.grpc;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One {@link LockStatsRecorder} per volume name: the server hands {@link #recorderFor} to the
 * engine as each volume's lock listener when it opens the volume, and GetLockStats reads them.
 */
public final class LockStatsBook {
    private final Map<String, LockStatsRecorder> recorders = new ConcurrentHashMap<>();

    /** A fresh recorder for a volume being opened (a volume deleted and created again starts at zero). */
    public LockStatsRecorder recorderFor(String volume) {
        LockStatsRecorder r = new LockStatsRecorder();
        recorders.put(volume, r);
        return r;
    }

    public Optional<LockStatsRecorder> find(String volume) {
        return Optional.ofNullable(recorders.get(volume));
    }

    public void forget(String volume) {
        recorders.remove(volume);
    }
}
