package io.blockhaus.engine.events;

import io.blockhaus.engine.lock.LockListener;
import java.util.Objects;

/**
 * Everything that listens to one volume, handed to {@code Engine.open}: its pagecache lock's
 * listener and its cache, readahead and writeback listeners. Fixed for the volume's life.
 */
public record VolumeListeners(LockListener lock, CacheListener cache, ReadaheadListener readahead,
        WritebackListener writeback) {

    /** Nobody listens. */
    public static final VolumeListeners NONE = new VolumeListeners(LockListener.NONE, CacheListener.NONE,
            ReadaheadListener.NONE, WritebackListener.NONE);

    public VolumeListeners {
        Objects.requireNonNull(lock, "lock (use LockListener.NONE)");
        Objects.requireNonNull(cache, "cache (use CacheListener.NONE)");
        Objects.requireNonNull(readahead, "readahead (use ReadaheadListener.NONE)");
        Objects.requireNonNull(writeback, "writeback (use WritebackListener.NONE)");
    }

    /** Only the lock is listened to (what {@code Engine.open} took before the other events existed). */
    public static VolumeListeners lockOnly(LockListener lock) {
        return new VolumeListeners(lock, CacheListener.NONE, ReadaheadListener.NONE, WritebackListener.NONE);
    }
}
