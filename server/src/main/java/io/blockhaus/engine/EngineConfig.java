package io.blockhaus.engine;

import java.time.Duration;

/**
 * Settings shared by every volume of one engine: the page memory budget and writeback.
 *
 * @param cacheBytes            page memory for all volumes together
 * @param dirtyBackgroundRatio  above this share of the budget dirty, background writeback starts
 * @param dirtyHardRatio        above this share dirty, buffered writers wait for writeback
 * @param dirtyExpire           a page dirty this long is written back by the background writer
 *                              (with the other dirty pages of its 64-page chunk)
 * @param writebackInterval     how often the background writer wakes up to look for old pages
 * @param memoryWait            how long an allocation waits for memory before ENOMEM
 * @param backgroundThreads     whether to start the writeback and readahead threads; tests that
 *                              want determinism set false and call {@link Engine#writebackNow()}
 * @param mappedShare           the share of the cache that the mappings of one handle may pin
 *                              (mapped pages cannot be evicted): past it a fault that would map
 *                              one more page fails with ENOMEM and maps nothing. 0.25 by default,
 *                              so one client cannot pin the cache away from the others
 * @param hugePages             whether page memory is asked of the kernel in transparent huge
 *                              pages where it allows that (see {@code HugePageMemory}): on by
 *                              default, off for A/B runs and kernels where compaction stalls
 */
public record EngineConfig(
        long cacheBytes,
        double dirtyBackgroundRatio,
        double dirtyHardRatio,
        Duration dirtyExpire,
        Duration writebackInterval,
        Duration memoryWait,
        boolean backgroundThreads,
        double mappedShare,
        boolean hugePages) {

    public static final long DEFAULT_CACHE_BYTES = 256L << 20;
    public static final double DEFAULT_MAPPED_SHARE = 0.25;

    public EngineConfig {
        if (cacheBytes < 64 * 1024) {
            throw new IllegalArgumentException("cache size " + cacheBytes + " is below the 64K minimum");
        }
        if (!(dirtyBackgroundRatio > 0 && dirtyBackgroundRatio <= dirtyHardRatio && dirtyHardRatio < 1)) {
            throw new IllegalArgumentException("need 0 < dirtyBackgroundRatio <= dirtyHardRatio < 1");
        }
        if (!(mappedShare > 0 && mappedShare <= 1)) {
            throw new IllegalArgumentException("need 0 < mappedShare <= 1, got " + mappedShare);
        }
    }

    /** The settings with the default {@link #mappedShare}. */
    public EngineConfig(long cacheBytes, double dirtyBackgroundRatio, double dirtyHardRatio, Duration dirtyExpire,
            Duration writebackInterval, Duration memoryWait, boolean backgroundThreads) {
        this(cacheBytes, dirtyBackgroundRatio, dirtyHardRatio, dirtyExpire, writebackInterval, memoryWait,
                backgroundThreads, DEFAULT_MAPPED_SHARE, true);
    }

    /** Pages of {@code pageSize} bytes that one handle's mappings may pin: at least one. */
    public long mappedPagesPerHandle(int pageSize) {
        return Math.max(1, (long) (cacheBytes * mappedShare) / pageSize);
    }

    public static EngineConfig defaults() {
        return withCache(DEFAULT_CACHE_BYTES);
    }

    public static EngineConfig withCache(long cacheBytes) {
        return new EngineConfig(cacheBytes, 0.10, 0.40, Duration.ofSeconds(5), Duration.ofMillis(500),
                Duration.ofSeconds(30), true);
    }

    public EngineConfig withBackgroundThreads(boolean on) {
        return new EngineConfig(cacheBytes, dirtyBackgroundRatio, dirtyHardRatio, dirtyExpire, writebackInterval,
                memoryWait, on, mappedShare, hugePages);
    }

    public EngineConfig withMappedShare(double share) {
        return new EngineConfig(cacheBytes, dirtyBackgroundRatio, dirtyHardRatio, dirtyExpire, writebackInterval,
                memoryWait, backgroundThreads, share, hugePages);
    }

    public EngineConfig withHugePages(boolean on) {
        return new EngineConfig(cacheBytes, dirtyBackgroundRatio, dirtyHardRatio, dirtyExpire, writebackInterval,
                memoryWait, backgroundThreads, mappedShare, on);
    }
}
