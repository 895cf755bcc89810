package io.blockhaus.engine.store;

import java.nio.channels.FileChannel;

/**
 * A range of a store's file that a front end sends as it is (sendfile(2)) instead of copying it
 * through the JVM: the kernel reads the bytes when it sends them. {@code channel} belongs to the
 * store, which closes it; the receiver must not.
 */
public record FileRange(FileChannel channel, long offset, long length) {
}
