package io.blockhaus.s3.stripes;

import java.time.Duration;

/**
 * Bounds of the data path, server-wide numbers an operator sets (never a client's).
 *
 * @param maxParallelPuts  object PUTs in flight at once for this volume
 * @param maxBufferedBytes bytes of objects written but not yet stored that the store may hold;
 *                         a writer past it waits (at most {@code outageWait}) rather than grow it
 * @param outageWait       how long a request waits for an unreachable store before failing with EIO
 */
public record StripedStoreOptions(int maxParallelPuts, long maxBufferedBytes, Duration outageWait) {
    public static final StripedStoreOptions DEFAULTS = new StripedStoreOptions(8, 64L << 20, Duration.ofSeconds(30));
}
