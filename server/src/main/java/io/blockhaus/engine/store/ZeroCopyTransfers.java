package io.blockhaus.engine.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The ways bytes move between a {@link SparseFileStore}'s file and a socket without passing
 * through the JVM: a read-only channel on the file for the kernel to send from (sendfile), and
 * splice(2) from a pipe into the file. Each remembers when the system refused it and from then on
 * says so at once, so the front end takes its copying path without trying again.
 *
 * <p>Why apart: these are the store's only paths that hand the descriptor (or a second one on
 * the same file) to the kernel for someone else's transfer, and the send channel is the store's
 * only resource besides the descriptor, closed with it ({@link #closeSendChannel()}).
 */
final class ZeroCopyTransfers {
    private final OpenFile f;
    /** See {@link #channelForSending()}: opened on first use; guarded by {@code this}. */
    private FileChannel sendChannel;
    private boolean sendChannelFailed;
    /** False once splice(2) into this file was refused: writes from pipes then go the copying way. */
    private volatile boolean canSplice = true;

    ZeroCopyTransfers(OpenFile f) {
        this.f = f;
    }

    /**
     * Opened through /proc/self/fd on our own descriptor, not by path: a path can have been
     * renamed or replaced since the store opened it, and sending another file's bytes would be
     * the worst kind of wrong. Read-only; where /proc is missing, null (the copying path stays).
     */
    synchronized FileChannel channelForSending() {
        if (sendChannel == null && !sendChannelFailed && !f.closedHint()) {
            try {
                sendChannel = FileChannel.open(Path.of("/proc/self/fd/" + f.fd()), StandardOpenOption.READ);
            } catch (IOException | UnsupportedOperationException e) {
                sendChannelFailed = true;
            }
        }
        return sendChannel;
    }

    /** Called by {@link OpenFile#close} before the descriptor goes: the channel is a second descriptor on it. */
    synchronized void closeSendChannel() {
        if (sendChannel != null) {
            try {
                sendChannel.close();
            } catch (IOException ignored) {
                // a read-only second descriptor: nothing of the user's is lost with it
            }
        }
    }

    boolean writesFromPipes() {
        return !f.readOnly() && canSplice;
    }

    /** See {@link BackingStore#writeFrom}: false, the pipe untouched, where splice cannot write to this file. */
    boolean writeFrom(long offset, Pipe pipe, long length) {
        if (!canSplice) {
            return false;
        }
        f.enterForChange();
        long before = pipe.buffered();
        try {
            f.checkRange("write", offset, length);
            pipe.spliceTo(f.io(), f.fd(), offset, length);
            return true;
        } catch (NativeIoException e) {
            if (pipe.buffered() == before && (e.errno() == NativeIoException.EINVAL || e.isUnsupported())) {
                canSplice = false; // a file system without splice_write: say so once, then never try again
                return false;
            }
            throw e.toErrnoException("write " + length + " bytes at " + offset + " of " + f.path() + " from a pipe");
        } finally {
            f.exit();
        }
    }
}
