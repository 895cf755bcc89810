package io.blockhaus.client;

import com.google.protobuf.UnsafeByteOperations;
import io.blockhaus.proto.v1.FaultRequest;
import io.blockhaus.proto.v1.FaultResponse;
import io.blockhaus.proto.v1.Mapping;
import io.blockhaus.proto.v1.PageData;
import io.blockhaus.proto.v1.UnmapRequest;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A mapping of a volume range: the network form of an mmap. Loads ({@link #get}) are served
 * from local copies of pages, filled by read faults (each brings the page's fault-around
 * window); stores ({@link #put}) go to the server at once as write faults (write-through: this
 * side never holds dirty data) and drop the local copy. The server's invalidations, from the
 * handle's Watch stream, drop copies, so the next load faults again.
 *
 * <p>Not yet: recall before completion (the server does not wait for this side to drop a page
 * before a direct write returns), so a load racing another client's direct write may return the
 * old bytes until the invalidation arrives; leases; ESTALE and remapping.
 */
public final class MappedRegion implements AutoCloseable {
    private final BlockhausClient client;
    private final Mapping mapping;
    private final Map<Long, byte[]> pages = new ConcurrentHashMap<>();
    /** Bumped by every invalidation, so a fault answer that raced one is not kept. */
    private final AtomicLong generation = new AtomicLong();

    MappedRegion(BlockhausClient client, Mapping mapping) {
        this.client = client;
        this.mapping = mapping;
    }

    /** The mapping's resource name. */
    public String name() {
        return mapping.getName();
    }

    public long offset() {
        return mapping.getOffset();
    }

    public long length() {
        return mapping.getLength();
    }

    /** Pages held locally now. */
    public int cachedPages() {
        return pages.size();
    }

    /** Copies bytes at {@code off} (inside the mapping) into {@code dst}, position to limit. */
    public void get(long off, ByteBuffer dst) {
        int page = mapping.getPageSize();
        while (dst.hasRemaining()) {
            long pageStart = Math.floorDiv(off, page) * (long) page;
            byte[] p = pages.get(pageStart);
            if (p == null) {
                p = fault(pageStart);
            }
            int in = (int) (off - pageStart);
            int n = Math.min(dst.remaining(), p.length - in);
            if (n <= 0) {
                throw ClientErrors.of("EFAULT", io.grpc.Status.Code.INVALID_ARGUMENT, false,
                        "EFAULT: load at " + off + " past the end of the volume", null);
            }
            dst.put(p, in, n);
            off += n;
        }
    }

    /** Stores {@code src} (position to limit) at {@code off}, page by page, through write faults. */
    public void put(long off, ByteBuffer src) {
        int page = mapping.getPageSize();
        while (src.hasRemaining()) {
            long pageStart = Math.floorDiv(off, page) * (long) page;
            int n = (int) Math.min(src.remaining(), pageStart + page - off);
            ByteBuffer piece = src.slice(src.position(), n);
            long at = off;
            BlockhausClient.call(() -> client.io().fault(FaultRequest.newBuilder().setMapping(name()).setOffset(at)
                    .setWrite(true).setData(UnsafeByteOperations.unsafeWrap(piece)).build()));
            generation.incrementAndGet();
            pages.remove(pageStart);
            src.position(src.position() + n);
            off += n;
        }
    }

    private byte[] fault(long pageStart) {
        long gen = generation.get();
        FaultResponse r = BlockhausClient.call(() -> client.io().fault(FaultRequest.newBuilder().setMapping(name())
                .setOffset(pageStart).build()));
        byte[] wanted = null;
        boolean keep = generation.get() == gen;
        for (PageData p : r.getPagesList()) {
            byte[] bytes = p.getData().toByteArray();
            if (p.getOffset() == pageStart) {
                wanted = bytes;
            }
            if (keep) {
                pages.put(p.getOffset(), bytes);
            }
        }
        if (wanted == null) {
            throw ClientErrors.of("EIO", io.grpc.Status.Code.INTERNAL, false,
                    "EIO: the fault at " + pageStart + " did not answer its page", null);
        }
        return wanted;
    }

    /** Drops local copies of {@code [off, off+length)} (an invalidation, or a direct read into this region). */
    void dropRange(long off, long length) {
        generation.incrementAndGet();
        int page = mapping.getPageSize();
        for (long p = Math.floorDiv(off, page) * (long) page; p < off + length; p += page) {
            pages.remove(p);
        }
    }

    /** munmap. */
    @Override
    public void close() {
        pages.clear();
        BlockhausClient.call(() -> client.io().unmap(UnmapRequest.newBuilder().setMapping(name()).build()));
    }
}
