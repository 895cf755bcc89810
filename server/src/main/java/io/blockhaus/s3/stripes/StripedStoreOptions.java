package io.blockhaus.s3.stripes;

import java.time.Duration;
import java.util.Optional;

/**
 * Bounds of the data path, server-wide numbers an operator sets (never a client's).
 *
 * @param maxParallelPuts  object PUTs (and DELETEs) in flight at once for this volume
 * @param maxBufferedBytes bytes of objects written but not yet stored that the store may hold;
 *                         a writer past it waits (at most {@code outageWait}) rather than grow it
 * @param outageWait       how long a request waits for an unreachable store before failing with EIO
 * @param sharedBudget     a budget every s3 volume of the server draws staged bytes from as well,
 *                         bounding the server's total; empty: only the per-volume bound
 */
public record StripedStoreOptions(int maxParallelPuts, long maxBufferedBytes, Duration outageWait,
                                  Optional<StagingBudget> sharedBudget) {
    public static final StripedStoreOptions DEFAULTS = new StripedStoreOptions(8, 64L << 20, Duration.ofSeconds(30));

    public StripedStoreOptions {
        if (maxParallelPuts < 1 || maxBufferedBytes < 1 || outageWait.isNegative()) {
            throw new IllegalArgumentException("bad s3 data path bounds: " + maxParallelPuts + " PUTs, "
                    + maxBufferedBytes + " bytes, wait " + outageWait);
        }
    }

    /** Per-volume bounds only (no server-wide budget). */
    public StripedStoreOptions(int maxParallelPuts, long maxBufferedBytes, Duration outageWait) {
        this(maxParallelPuts, maxBufferedBytes, outageWait, Optional.empty());
    }

    public StripedStoreOptions withSharedBudget(StagingBudget budget) {
        return new StripedStoreOptions(maxParallelPuts, maxBufferedBytes, outageWait, Optional.of(budget));
    }
}
