package io.blockhaus.engine;

import java.nio.ByteBuffer;

/** A handle's {@link FastPaths}: each delegates to the class that owns that path, as {@link Handle} does. */
final class HandleFastPaths implements FastPaths {
    private final Handle handle;

    HandleFastPaths(Handle handle) {
        this.handle = handle;
    }

    @Override
    public boolean readWithoutWaiting(long offset, ByteBuffer dst) {
        return !handle.isClosed() && BufferedIo.readWithoutWaiting(handle, offset, dst);
    }

    @Override
    public boolean writeIfCached(long offset, ByteBuffer src) {
        return !handle.isClosed() && BufferedIo.writeIfCached(handle, offset, src);
    }

    @Override
    public boolean writeFromPipe(long offset, PayloadPipe pipe, long length, boolean direct, boolean fua) {
        return handle.writeFromPipe(offset, pipe, length, direct, fua);
    }

    @Override
    public boolean writeFromPipe(long offset, PayloadPipe pipe, ByteBuffer[] rest, boolean direct, boolean fua) {
        return !direct && handle.writeFromPipeThenBuffers(offset, pipe, rest, fua);
    }

    @Override
    public FileRange readAsFileRange(long offset, int length) {
        return BufferedIo.readAsFileRange(handle, offset, length);
    }

    @Override
    public FileRange readDirectAsFileRange(long offset, int length) {
        return DirectIo.readAsFileRange(handle, offset, length);
    }

    @Override
    public void readFileRange(FileRange range, ByteBuffer dst) {
        if (dst.remaining() != range.length()) {
            throw new IllegalArgumentException(dst.remaining() + " bytes of room for a range of " + range.length());
        }
        handle.volume().checkOpen();
        handle.volume().store().read(range.offset(), dst);
    }

    @Override
    public boolean zeroesFast(boolean keepAllocated) {
        return handle.volume().store().zeroesFast(keepAllocated);
    }
}
