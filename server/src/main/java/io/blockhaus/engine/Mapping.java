package io.blockhaus.engine;

import java.nio.ByteBuffer;

/**
 * A client's mmap of a volume range. Loads and stores through it fault pages in (with a
 * fault-around window, under ADD on a miss) and record them as mapped; mapped pages are never
 * evicted or dropped by DONTNEED. Shooting a mapped page down unmaps it and tells the listener.
 * Offsets are relative to the start of the mapping.
 */
public final class Mapping implements AutoCloseable {

    public Volume volume() { throw new UnsupportedOperationException("TODO"); }

    /** Volume byte offset where the mapping starts (page-aligned). */
    public long offset() { throw new UnsupportedOperationException("TODO"); }

    public long length() { throw new UnsupportedOperationException("TODO"); }

    public boolean writable() { throw new UnsupportedOperationException("TODO"); }

    /** Read faults as needed and copies the bytes out (a CPU load from the mapping). */
    public void read(long offset, ByteBuffer dst) { throw new UnsupportedOperationException("TODO"); }

    /** Write faults as needed, stores the bytes and dirties the pages (a CPU store). EPERM if read-only. */
    public void write(long offset, ByteBuffer src) { throw new UnsupportedOperationException("TODO"); }

    /** Pages currently mapped (faulted in and not since invalidated). */
    public long mappedPages() { throw new UnsupportedOperationException("TODO"); }

    /** munmap: drops the map counts. Idempotent. */
    @Override
    public void close() { throw new UnsupportedOperationException("TODO"); }
}
