package io.blockhaus.metrics;

import io.blockhaus.engine.Engine;
import io.blockhaus.engine.cache.NonBlockingGiveUps;

/**
 * The cache budget all volumes share, as gauges without a volume tag: bytes used, the limit
 * ({@code --cache-size}), dirty bytes, and the two dirty limits ({@code level} = background,
 * where background writeback starts; hard, where writers are throttled); and the reads the event
 * loops gave up to workers, one function counter per {@code reason} (the engine counts them in
 * its {@code NonBlockingGiveUps} for the whole engine, not per volume). Read from the engine
 * when scraped.
 */
final class ServerCacheMeters {
    private ServerCacheMeters() {
    }

    static void bind(BoundMeters meters, Engine engine) {
        meters.gauge("blockhaus.cache.used", "bytes of cache in use", "bytes", engine, Engine::usedBytes);
        meters.gauge("blockhaus.cache.limit", "the cache budget (--cache-size)", "bytes", engine, Engine::limitBytes);
        meters.gauge("blockhaus.cache.dirty", "dirty bytes", "bytes", engine, Engine::dirtyBytes);
        String help = "dirty bytes where background writeback starts, and where writers are throttled";
        meters.gauge("blockhaus.cache.dirty.limit", help, "bytes", engine, Engine::dirtyBackgroundBytes,
                "level", "background");
        meters.gauge("blockhaus.cache.dirty.limit", help, "bytes", engine, Engine::dirtyHardBytes, "level", "hard");
        NonBlockingGiveUps giveUps = engine.nonBlockingGiveUps();
        for (NonBlockingGiveUps.Reason reason : NonBlockingGiveUps.Reason.values()) {
            meters.functionCounter("blockhaus.cache.nonblocking.giveups",
                    "reads a thread that must not wait (an NBD event loop) handed to a worker, by reason",
                    giveUps, g -> g.of(reason), "reason", reason.label());
        }
    }
}
