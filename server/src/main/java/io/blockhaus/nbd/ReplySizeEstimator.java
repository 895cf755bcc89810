package io.blockhaus.nbd;

import io.netty.channel.DefaultMessageSizeEstimator;
import io.netty.channel.FileRegion;
import io.netty.channel.MessageSizeEstimator;

/**
 * Sizes queued replies for the channel's write-buffer marks: Netty's default counts a file region
 * as nothing, so READs answered from the file would never make a connection stop taking
 * requests from a client that does not read its replies. Here a region counts its length.
 */
final class ReplySizeEstimator implements MessageSizeEstimator {
    static final ReplySizeEstimator INSTANCE = new ReplySizeEstimator();

    private static final Handle DEFAULT = DefaultMessageSizeEstimator.DEFAULT.newHandle();
    private static final Handle HANDLE = msg -> msg instanceof FileRegion region
            ? (int) Math.min(region.count() - region.transferred(), Integer.MAX_VALUE) : DEFAULT.size(msg);

    private ReplySizeEstimator() {
    }

    @Override
    public Handle newHandle() {
        return HANDLE;
    }
}
