package io.blockhaus.engine;

import java.nio.channels.FileChannel;

/**
 * A range of a volume's file that a front end sends as it is (sendfile(2)) instead of copying it
 * through the JVM: the kernel reads the bytes when it sends them. The engine hands one out only
 * when the range's bytes were in the kernel's page cache when it looked, so the send does not
 * wait for a disk and may run on a thread that must not block (an event loop); the kernel may
 * evict in between, which makes that a strong likelihood, not a promise. {@code channel} belongs
 * to the volume's store, which closes it; the receiver must not.
 */
public record FileRange(FileChannel channel, long offset, long length) {
}
