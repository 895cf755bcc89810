package io.blockhaus.client;

import com.google.protobuf.UnsafeByteOperations;
import io.blockhaus.proto.v1.FaultRequest;
import io.blockhaus.proto.v1.FaultResponse;
import io.blockhaus.proto.v1.MapRequest;
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
 * <p>Recall before completion: the handle's Watch stream drops the pages and acknowledges, and
 * any operation that changed those pages (a write of either mode, a store through another
 * mapping, fallocate, truncate; from gRPC or NBD) returns only after that, so a load after it
 * returns never shows older bytes. A mapping that missed a recall is revoked by the server
 * (ESTALE); the region then maps its range again, with no local pages, and retries.
 */
public final class MappedRegion implements AutoCloseable {
    private final BlockhausClient client;
    private final String handle;
    private final Watcher watcher;
    private volatile Mapping mapping;
    private final Map<Long, byte[]> pages = new ConcurrentHashMap<>();
    /** Bumped by every invalidation, so a fault answer that raced one is not kept. */
    private final AtomicLong generation = new AtomicLong();
    private int remaps; // guarded by this

    MappedRegion(BlockhausClient client, String handle, Watcher watcher, Mapping mapping) {
        this.client = client;
        this.handle = handle;
        this.watcher = watcher;
        this.mapping = mapping;
    }

    /** Runs a call on the mapping; after ESTALE maps the range again (all local pages dropped) and retries once. */
    <T> T withRemap(java.util.function.Supplier<T> call) {
        try {
            return call.get();
        } catch (BlockhausException.Stale e) {
            remap();
            return call.get();
        }
    }

    private synchronized void remap() {
        Mapping old = mapping;
        Mapping fresh = BlockhausClient.call(() -> client.io().map(MapRequest.newBuilder().setHandle(handle)
                .setOffset(old.getOffset()).setLength(old.getLength()).setWritable(old.getWritable()).build()));
        generation.incrementAndGet();
        pages.clear();
        mapping = fresh;
        watcher.rename(old.getName(), this);
        remaps++;
    }

    /** Times this region was mapped again after the server revoked it. */
    public synchronized int remaps() {
        return remaps;
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
            withRemap(() -> BlockhausClient.call(() -> client.io().fault(FaultRequest.newBuilder().setMapping(name())
                    .setOffset(at).setWrite(true).setData(UnsafeByteOperations.unsafeWrap(piece)).build())));
            generation.incrementAndGet();
            pages.remove(pageStart);
            src.position(src.position() + n);
            off += n;
        }
    }

    /**
     * A read fault on the page holding {@code off} (inside the mapping), asked of the server even
     * when a copy is held (a load would not ask): what bhctl's fault command and bench measure.
     * Keeps the answer's pages; returns how many came (the page and its fault-around window).
     */
    public int faultIn(long off) {
        int page = mapping.getPageSize();
        return faultPages(Math.floorDiv(off, page) * (long) page).size();
    }

    private byte[] fault(long pageStart) {
        byte[] wanted = faultPages(pageStart).get(pageStart);
        if (wanted == null) {
            throw ClientErrors.of("EIO", io.grpc.Status.Code.INTERNAL, false,
                    "EIO: the fault at " + pageStart + " did not answer its page", null);
        }
        return wanted;
    }

    /** One read fault: the pages it brought, by offset; kept unless an invalidation raced it. */
    private Map<Long, byte[]> faultPages(long pageStart) {
        long gen = generation.get();
        FaultResponse r = withRemap(() -> BlockhausClient.call(() -> client.io().fault(FaultRequest.newBuilder()
                .setMapping(name()).setOffset(pageStart).build())));
        Map<Long, byte[]> got = new java.util.HashMap<>();
        boolean keep = generation.get() == gen;
        for (PageData p : r.getPagesList()) {
            byte[] bytes = p.getData().toByteArray();
            got.put(p.getOffset(), bytes);
            if (keep) {
                pages.put(p.getOffset(), bytes);
            }
        }
        return got;
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
        watcher.remove(this);
        try {
            BlockhausClient.call(() -> client.io().unmap(UnmapRequest.newBuilder().setMapping(name()).build()));
        } catch (BlockhausException.Stale e) {
            // revoked already: nothing left to unmap
        }
    }
}
