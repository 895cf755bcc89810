package io.blockhaus.engine.events;

import io.blockhaus.engine.errno.Errno;

/** One volume's writeback events (same rules as {@link CacheListener}: cheap, never throws). */
public interface WritebackListener {

    WritebackListener NONE = new WritebackListener() {
    };

    /** One contiguous run of dirty pages was written with one gather write: {@code bytes} in {@code nanos}. */
    default void ran(long bytes, long nanos) {
    }

    /** A writeback run failed with {@code errno}; its pages stay dirty. */
    default void failed(Errno errno) {
    }

    /** A buffered writer found dirty memory over the hard limit and had to write back or wait first. */
    default void throttled() {
    }
}
