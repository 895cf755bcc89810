package io.blockhaus.server;

import io.blockhaus.engine.EngineConfig;
import picocli.CommandLine.Option;

/**
 * The serve command's page cache options: the memory all volumes share, the share of it one
 * handle's mappings may pin, and whether it is mapped in huge pages. They make the engine's
 * configuration ({@link #engineConfig}), which checks them.
 */
public final class CacheOptions {
    @Option(names = "--cache-size", paramLabel = "SIZE", defaultValue = "256M", converter = OptionConverters.SizeConverter.class,
            description = "Page cache memory shared by all volumes (at least 64K).")
    private long cacheSize;

    @Option(names = "--mapped-share", paramLabel = "FRACTION", defaultValue = "0.25",
            description = "Share of --cache-size that one handle's mappings may pin (0 < FRACTION <= 1);"
                    + " a fault past it fails with ENOMEM, so one client cannot pin the whole cache.")
    private double mappedShare;

    @Option(names = "--huge-pages", paramLabel = "BOOL", defaultValue = "true", arity = "1",
            description = "Map the page cache's memory in transparent huge pages where the kernel allows it"
                    + " (its THP mode is madvise or always): fewer TLB misses per cache access. false: 4K pages.")
    private boolean hugePages;

    long cacheSize() {
        return cacheSize;
    }

    /** The engine's configuration from the options. */
    EngineConfig engineConfig() {
        return EngineConfig.withCache(cacheSize).withMappedShare(mappedShare).withHugePages(hugePages);
    }

    /** @throws IllegalArgumentException a usage error, its message naming the option */
    void check() {
        if (!(mappedShare > 0 && mappedShare <= 1)) {
            throw new IllegalArgumentException("--mapped-share: need 0 < FRACTION <= 1, got " + mappedShare);
        }
        try {
            engineConfig();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--cache-size: " + e.getMessage(), e);
        }
    }
}
