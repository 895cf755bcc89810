package io.blockhaus.nbd.codec;

import io.netty.channel.FileRegion;

/**
 * A successful simple READ reply whose data is a range of a file, which the transport sends with
 * sendfile(2) after the header (the bytes never enter the JVM). Once the header is out an error
 * can no longer be reported, so a failed send closes the connection, which is what the
 * specification asks of a server that cannot finish a simple reply.
 */
public record NbdSimpleFileReply(long cookie, FileRegion region) implements NbdFileRegionHolder {
}
