package io.blockhaus.client;

import io.blockhaus.proto.v1.BlockStatusRequest;
import io.blockhaus.proto.v1.ByteRange;
import io.blockhaus.proto.v1.CloseHandleRequest;
import io.blockhaus.proto.v1.FadviseRequest;
import io.blockhaus.proto.v1.FallocateRequest;
import io.blockhaus.proto.v1.FlushRequest;
import io.blockhaus.proto.v1.Handle;
import io.blockhaus.proto.v1.IoMode;
import io.blockhaus.proto.v1.MapRequest;
import io.blockhaus.proto.v1.MappingBuffer;
import io.blockhaus.proto.v1.ReadRequest;
import io.blockhaus.proto.v1.ReadResponse;
import io.blockhaus.proto.v1.StatRequest;
import io.blockhaus.proto.v1.TruncateRequest;
import io.blockhaus.proto.v1.VolumeStat;
import io.blockhaus.proto.v1.WriteRequest;
import io.grpc.stub.ClientCalls;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SeekableByteChannel;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * One open volume: the operations of DESIGN.md's table, as a process issues them on a file.
 * Buffered I/O goes through the server's page cache; direct I/O around it. Reads and writes of
 * any length travel in chunks of at most 1 MiB with flow control both ways. Thread-safe.
 *
 * <p>It is also a {@link SeekableByteChannel} over the volume's bytes, with buffered I/O at its
 * position: {@code read} returns -1 at the end of the volume, {@code write} cannot go past it
 * (ENOSPC: a block device does not grow by writing), and {@code truncate} only shrinks, as the
 * channel contract says ({@link #setSize} also grows).
 */
public final class VolumeHandle implements SeekableByteChannel {
    private final BlockhausClient client;
    private final Handle handle;
    private final Watcher watcher;
    private long position; // guarded by this
    private long knownSize; // guarded by this; refreshed from the server when a read reaches it
    private volatile boolean open = true;

    VolumeHandle(BlockhausClient client, Handle handle) {
        this.client = client;
        this.handle = handle;
        this.watcher = new Watcher(client, handle.getName());
        this.knownSize = handle.getSizeBytes();
    }

    /** The handle's resource name. */
    public String name() {
        return handle.getName();
    }

    /** The volume's size when the handle was opened ({@link #stat()} for now). */
    public long sizeAtOpen() {
        return handle.getSizeBytes();
    }

    public int pageSize() {
        return handle.getPageSize();
    }

    /** Buffered read of {@code length} bytes at {@code offset}. */
    public ByteBuffer read(long offset, int length) {
        return read(offset, length, IoMode.BUFFERED);
    }

    /** Direct read: dirty cached pages of the range are written back first, then the store is read. */
    public ByteBuffer readDirect(long offset, int length) {
        return read(offset, length, IoMode.DIRECT);
    }

    private ByteBuffer read(long offset, int length, IoMode mode) {
        ByteBuffer out = ByteBuffer.allocate(length);
        BlockhausClient.call(() -> {
            // The replies land in out as they are parsed (ReadInto): one copy on this side.
            var stub = client.io();
            Iterator<ReadInto.Received> it = ClientCalls.blockingServerStreamingCall(stub.getChannel(),
                    new ReadInto(out).method(), stub.getCallOptions(), ReadRequest.newBuilder().setHandle(name())
                            .setOffset(offset).setLength(length).setMode(mode).build());
            it.forEachRemaining(r -> { });
            return null;
        });
        if (out.hasRemaining()) {
            throw ClientErrors.of("EIO", io.grpc.Status.Code.INTERNAL, false,
                    "EIO: short read: " + out.position() + " of " + length + " bytes", null);
        }
        return out.flip();
    }

    /** Buffered write of {@code src} (position to limit); {@code fua}: written back and forced before returning. */
    public void write(long offset, ByteBuffer src, boolean fua) {
        ChunkedWrite.run(client.ioAsync(), header(offset, IoMode.BUFFERED, fua), src);
    }

    /** Direct write: cached pages of the range are written back and dropped, then the store is written. */
    public void writeDirect(long offset, ByteBuffer src, boolean fua) {
        ChunkedWrite.run(client.ioAsync(), header(offset, IoMode.DIRECT, fua), src);
    }

    private WriteRequest header(long offset, IoMode mode, boolean fua) {
        return WriteRequest.newBuilder().setHandle(name()).setOffset(offset).setMode(mode).setFua(fua).build();
    }

    /**
     * Direct read of {@code length} bytes at {@code offset} into {@code buffer} from
     * {@code bufferOffset}: the server fills the mapping's pages. When the mapping is of the same
     * volume the server answers EDEADLOCK, and (unless the client turned it off) this does a
     * buffered read and stores the bytes through the mapping instead.
     */
    public void readDirect(long offset, MappedRegion buffer, long bufferOffset, int length) {
        try {
            buffer.withRemap(() -> BlockhausClient.call(() -> {
                Iterator<ReadResponse> it = client.io().read(ReadRequest.newBuilder().setHandle(name())
                        .setOffset(offset).setLength(length).setMode(IoMode.DIRECT)
                        .setIntoMapping(MappingBuffer.newBuilder().setMapping(buffer.name()).setOffset(bufferOffset))
                        .build());
                it.forEachRemaining(r -> { });
                return null;
            }));
            buffer.dropRange(bufferOffset, length);
        } catch (BlockhausException.Deadlock e) {
            if (!client.fallbackOnDeadlock()) {
                throw e;
            }
            client.countFallback();
            buffer.put(bufferOffset, read(offset, length));
        }
    }

    /** Direct write of {@code length} bytes from {@code buffer} at {@code bufferOffset}; EDEADLOCK falls back as {@link #readDirect(long, MappedRegion, long, int)}. */
    public void writeDirect(long offset, MappedRegion buffer, long bufferOffset, int length, boolean fua) {
        try {
            buffer.withRemap(() -> ChunkedWrite.run(client.ioAsync(), header(offset, IoMode.DIRECT, fua).toBuilder()
                    .setFromMapping(MappingBuffer.newBuilder().setMapping(buffer.name()).setOffset(bufferOffset))
                    .setLength(length).build(), ByteBuffer.allocate(0)));
        } catch (BlockhausException.Deadlock e) {
            if (!client.fallbackOnDeadlock()) {
                throw e;
            }
            client.countFallback();
            ByteBuffer bytes = ByteBuffer.allocate(length);
            buffer.get(bufferOffset, bytes);
            write(offset, bytes.flip(), fua);
        }
    }

    /** Maps {@code [offset, offset+length)} (page-aligned offset): a region read and written through local page copies. */
    public MappedRegion map(long offset, long length, boolean writable) {
        var m = BlockhausClient.call(() -> client.io().map(MapRequest.newBuilder().setHandle(name()).setOffset(offset)
                .setLength(length).setWritable(writable).build()));
        MappedRegion region = new MappedRegion(client, name(), watcher, m);
        watcher.add(region);
        return region;
    }

    public void fallocate(Types.FallocateMode mode, long offset, long length) {
        FallocateRequest.Mode m = FallocateRequest.Mode.valueOf(mode.name());
        BlockhausClient.call(() -> client.io().fallocate(FallocateRequest.newBuilder().setHandle(name()).setMode(m)
                .setOffset(offset).setLength(length).build()));
    }

    /** posix_fadvise; {@code length} 0 means to the end. */
    public void fadvise(Types.Advice advice, long offset, long length) {
        FadviseRequest.Advice a = FadviseRequest.Advice.valueOf(advice.name());
        BlockhausClient.call(() -> client.io().fadvise(FadviseRequest.newBuilder().setHandle(name()).setAdvice(a)
                .setOffset(offset).setLength(length).build()));
    }

    /** ftruncate(2): sets the volume's size, shrinking or growing it (bytes past the old end read as zeroes). */
    public void setSize(long sizeBytes) {
        BlockhausClient.call(() -> client.io().truncate(TruncateRequest.newBuilder().setHandle(name())
                .setSizeBytes(sizeBytes).build()));
        synchronized (this) {
            knownSize = sizeBytes;
        }
    }

    // ------------------------------------------------------------------ SeekableByteChannel

    /** Buffered read at the position; -1 at the end of the volume. */
    @Override
    public synchronized int read(ByteBuffer dst) throws ClosedChannelException {
        checkOpen();
        if (!dst.hasRemaining()) {
            return 0;
        }
        if (position + dst.remaining() > knownSize) {
            knownSize = stat().sizeBytes();
        }
        if (position >= knownSize) {
            return -1;
        }
        int n = (int) Math.min(dst.remaining(), knownSize - position);
        dst.put(read(position, n));
        position += n;
        return n;
    }

    /** Buffered write at the position (not FUA: {@link #flush} makes it durable). */
    @Override
    public synchronized int write(ByteBuffer src) throws ClosedChannelException {
        checkOpen();
        int n = src.remaining();
        write(position, src, false);
        position += n;
        return n;
    }

    @Override
    public synchronized long position() throws ClosedChannelException {
        checkOpen();
        return position;
    }

    @Override
    public synchronized VolumeHandle position(long newPosition) throws ClosedChannelException {
        checkOpen();
        if (newPosition < 0) {
            throw new IllegalArgumentException("negative position " + newPosition);
        }
        position = newPosition;
        return this;
    }

    /** The volume's size now. */
    @Override
    public synchronized long size() throws ClosedChannelException {
        checkOpen();
        knownSize = stat().sizeBytes();
        return knownSize;
    }

    /** Shrinks the volume to {@code size} if it is larger (never grows it: {@link #setSize} does). */
    @Override
    public synchronized VolumeHandle truncate(long size) throws ClosedChannelException {
        checkOpen();
        if (size < 0) {
            throw new IllegalArgumentException("negative size " + size);
        }
        if (size < size()) {
            setSize(size);
        }
        position = Math.min(position, size);
        return this;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    private void checkOpen() throws ClosedChannelException {
        if (!open) {
            throw new ClosedChannelException();
        }
    }

    /** fsync: every dirty page of the volume written back, the store forced. */
    public void flush() {
        BlockhausClient.call(() -> client.io().flush(FlushRequest.newBuilder().setHandle(name()).build()));
    }

    /** sync_file_range + fdatasync on a range. */
    public void flush(long offset, long length) {
        BlockhausClient.call(() -> client.io().flush(FlushRequest.newBuilder().setHandle(name())
                .setRange(ByteRange.newBuilder().setOffset(offset).setLength(length)).build()));
    }

    /** Allocation of a range (a prefix of it when it has many extents). */
    public List<Types.Extent> blockStatus(long offset, long length) {
        var r = BlockhausClient.call(() -> client.io().blockStatus(BlockStatusRequest.newBuilder().setHandle(name())
                .setOffset(offset).setLength(length).build()));
        List<Types.Extent> out = new ArrayList<>();
        r.getExtentsList().forEach(e -> out.add(new Types.Extent(e.getOffset(), e.getLength(), e.getHole(), e.getZero())));
        return out;
    }

    public Types.VolumeStat stat() {
        VolumeStat s = BlockhausClient.call(() -> client.io().stat(StatRequest.newBuilder().setHandle(name()).build()));
        return new Types.VolumeStat(s.getVolume(), s.getSizeBytes(), s.getPageSize(), s.getReadOnly(),
                s.getIoMode() == IoMode.DIRECT, s.getLockPolicy().name(), s.getCachedPages(), s.getDirtyPages());
    }

    /** Closes the handle on the server (unmapping its mappings). Idempotent. */
    @Override
    public void close() {
        if (!open) {
            return;
        }
        open = false;
        watcher.close();
        BlockhausClient.call(() -> client.io().closeHandle(CloseHandleRequest.newBuilder().setHandle(name()).build()));
    }
}
