package io.blockhaus.engine.store;

import static io.blockhaus.engine.store.Libc.SCRATCH;
import static io.blockhaus.engine.store.Libc.downcall;
import static io.blockhaus.engine.store.Libc.errno;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Anonymous memory the kernel may back with transparent huge pages: 2 MiB-aligned private
 * mappings marked {@code MADV_HUGEPAGE}, for the page cache's slabs.
 *
 * <p><b>Why.</b> A page cache is memory read at random: a 4 KiB hit in a 1.5 GiB cache, or a miss
 * writing into the frame the clock just evicted, touches a page of memory no recent access
 * touched. With 4 KiB mappings each such access also misses the TLB (the second-level TLB covers
 * a few MiB) and walks page tables whose entries are themselves cold: about a cache miss more per
 * access, and at 4 GiB of cache the walk's upper levels miss too. One 2 MiB mapping entry covers
 * 512 frames, so the TLB then reaches a gigabyte or more. The JVM's own allocator ({@code malloc})
 * hands out 1 MiB blocks at whatever alignment it finds, which a huge page can never back.
 *
 * <p><b>When not.</b> Only when the kernel lets a process ask ({@code madvise} or {@code always} in
 * {@code /sys/kernel/mm/transparent_hugepage/enabled}); {@link #open} says so by returning empty,
 * and the caller allocates ordinary memory. The advice is a hint: where the kernel finds no free
 * huge page it backs the range with small pages, which costs what the ordinary allocation costs.
 *
 * <p><b>Faults.</b> A fresh mapping holds no memory: the first write to each huge page faults, and
 * the kernel zeroes 2 MiB there. {@link #map} touches the whole mapping before it
 * returns, so the fault is paid by the thread carving the slab (the engine's background carver),
 * never by an event loop filling its first page.
 */
public final class HugePageMemory {
    /** The huge page size on x86-64 and arm64 with 4 KiB base pages. */
    public static final long HUGE_PAGE = 2L << 20;
    private static final Path ENABLED = Path.of("/sys/kernel/mm/transparent_hugepage/enabled");
    private static final int PROT_READ_WRITE = 0x1 | 0x2;
    private static final int MAP_PRIVATE_ANONYMOUS = 0x02 | 0x20;
    private static final int MADV_HUGEPAGE = 14;

    private static final MethodHandle MMAP = downcall("mmap",
            FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
    private static final MethodHandle MUNMAP = downcall("munmap", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle MADVISE = downcall("madvise",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));

    /** Made only by {@link #open}: holding one means the kernel takes the advice. */
    private HugePageMemory() {
    }

    /** Empty when this kernel gives no huge pages to a process that asks (or is not Linux). */
    public static Optional<HugePageMemory> open() {
        try {
            String modes = Files.readString(ENABLED);
            if (!modes.contains("[madvise]") && !modes.contains("[always]")) {
                return Optional.empty();
            }
            return Optional.of(new HugePageMemory());
        } catch (java.io.IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * A zeroed, 2 MiB-aligned mapping of {@code bytes} (a multiple of {@link #HUGE_PAGE}), advised
     * to huge pages, touched once per 4 KiB (see "Faults"), and unmapped when {@code arena}
     * closes.
     *
     * @throws OutOfMemoryError when the kernel refuses the mapping
     */
    @SuppressWarnings("restricted")
    public MemorySegment map(long bytes, Arena arena) {
        if (bytes <= 0 || bytes % HUGE_PAGE != 0) {
            throw new IllegalArgumentException("not a positive multiple of 2 MiB: " + bytes);
        }
        try {
            // Over-map by one huge page and trim both ends: mmap aligns to 4 KiB only.
            long span = bytes + HUGE_PAGE;
            MemorySegment state = SCRATCH.get().state;
            MemorySegment raw = (MemorySegment) MMAP.invokeExact(state, MemorySegment.NULL, span, PROT_READ_WRITE,
                    MAP_PRIVATE_ANONYMOUS, -1, 0L);
            if (raw.address() == -1L) {
                throw new OutOfMemoryError("mmap of " + span + " bytes for page cache slabs failed: "
                        + new NativeIoException("mmap", errno(state)).getMessage());
            }
            long start = raw.address();
            long aligned = (start + HUGE_PAGE - 1) & -HUGE_PAGE;
            unmap(start, aligned - start);
            unmap(aligned + bytes, start + span - (aligned + bytes));
            MemorySegment region = MemorySegment.ofAddress(aligned);
            int advised = (int) MADVISE.invokeExact(state, region, bytes, MADV_HUGEPAGE);
            // A refusal (e.g. EINVAL on a kernel built without THP) leaves ordinary pages: still correct.
            assert advised == 0 || advised == -1;
            MemorySegment slab = region.reinterpret(bytes, arena, s -> unmap(s.address(), s.byteSize()));
            // Every 4 KiB, not every 2 MiB: where the kernel found no huge page, the small
            // pages' faults are taken here too.
            for (long off = 0; off < bytes; off += 4096) {
                slab.set(JAVA_LONG, off, 0L);
            }
            return slab;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    private void unmap(long address, long length) {
        if (length == 0) {
            return;
        }
        try {
            int r = (int) MUNMAP.invokeExact(SCRATCH.get().state, MemorySegment.ofAddress(address), length);
            assert r == 0 : "munmap of our own mapping failed";
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }
}
