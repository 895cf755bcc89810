package io.blockhaus.nbd;

import io.blockhaus.engine.FileRange;
import io.netty.channel.DefaultFileRegion;

/**
 * A range of a volume's file for Netty to send with sendfile(2). Netty's region closes its
 * channel when released; this one leaves it open, since the store owns it and every READ shares it.
 * The engine hands out such ranges only when their bytes are in the kernel's page cache, so the
 * send, which runs on the event loop, does not wait for a disk.
 */
final class StoreFileRegion extends DefaultFileRegion {
    StoreFileRegion(FileRange range) {
        super(range.channel(), range.offset(), range.length());
    }

    @Override
    protected void deallocate() {
        // The channel is the store's: it closes it with the volume.
    }
}
