package io.blockhaus.server;

import io.blockhaus.engine.Engine;
import io.blockhaus.engine.EngineConfig;
import java.io.PrintWriter;
import picocli.CommandLine.Option;

/**
 * The serve command's page cache options: the memory all volumes share, the share of it one
 * handle's mappings may pin, whether it is mapped in huge pages, and whether it is all mapped and
 * touched at start. They make the engine's configuration ({@link #engineConfig}), which checks them.
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

    @Option(names = "--cache-prefault", paramLabel = "BOOL", defaultValue = "true", arity = "1",
            description = "Map and touch all of --cache-size before listening, so the first clients' cache misses"
                    + " do not wait for the kernel to zero fresh memory, and a machine short of it fails at start."
                    + " false: the cache takes memory as it fills.")
    private boolean prefault;

    long cacheSize() {
        return cacheSize;
    }

    boolean prefaults() {
        return prefault;
    }

    /**
     * Prefaults the engine's cache ({@link Engine#prefaultCache}) unless {@code --cache-prefault false},
     * and says how long it took. Interrupted (a stop during start-up): returns with the flag set,
     * for the next step to see.
     *
     * @throws StartupException the memory could not be mapped
     */
    void prefault(Engine engine, PrintWriter out) {
        if (!prefault || engine == null) {
            return;
        }
        long start = System.nanoTime();
        try {
            long bytes = engine.prefaultCache();
            out.printf("blockhaus: page cache memory mapped and touched: %s in %.2f s (--cache-prefault)%n",
                    SizeParser.format(bytes), (System.nanoTime() - start) / 1e9);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | OutOfMemoryError e) {
            throw new StartupException("cannot map the page cache's " + SizeParser.format(cacheSize)
                    + " (--cache-size; --cache-prefault false maps it as it fills): " + e.getMessage(), e);
        }
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
