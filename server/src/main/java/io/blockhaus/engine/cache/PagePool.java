package io.blockhaus.engine.cache;

import io.blockhaus.engine.store.HugePageMemory;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Off-heap memory for pages of one size, carved from slabs and recycled through a free
 * list, so an I/O never allocates page memory on the Java heap and a freed page is reused rather
 * than returned to the OS. How much of it may be in use is the {@link MemoryBudget}'s business;
 * the pool only grows to the high-water mark the budget allows and is released when the engine
 * closes.
 *
 * <p>What is recycled is a {@link Frame}: the segment together with its buffer view, both made
 * once when the slab is carved, and the {@link Page} made on the frame's first use, so a miss
 * allocates none of them (each was an object per miss that, with a large cache, lived long
 * enough to be copied by every young collection).
 *
 * <p><b>Carving ahead.</b> A thread that must not wait never carves ({@link #tryAllocate}), so
 * while a fresh cache fills, every time the free list ran dry the event loops handed their
 * misses to workers until one of those had carved the next slab (in a fresh server's
 * first seconds the workers' main work). With a {@link #carveAheadOn carver} (a background
 * thread of the engine), taking a frame that leaves fewer than a quarter of a slab free asks it
 * to carve the next one, once at a time, and only while the pool is smaller than the budget it
 * serves: so the pool still grows only towards what the budget lets be used, at most one slab
 * past it (as a demand carve can), and a miss finds a frame waiting.
 *
 * <p><b>Prefault.</b> {@link #prefault} carves the pool up to a share of its budget at once, on
 * as many threads as call it: a server does it before its front ends listen, so the kernel zeroes
 * the cache's memory then, not on its first clients' misses. That zeroing is not small: memory a
 * process has never touched costs the kernel a page fault and a cleared page, and on a VM the
 * host backing it too (measured on the 2-core VM of docs/benchmarks.md: 256 MiB first touched in
 * 1.4 s of CPU, the same memory touched again in 0.04 s), and in a fresh cache every miss of
 * the first {@code budget} bytes is a first touch. The pool is never carved past its budget, as
 * with carving ahead, so a prefaulted pool holds what a full cache would.
 *
 * <p><b>Slabs.</b> With {@link HugePageMemory} (the default where the kernel allows it) a slab is
 * one 2 MiB-aligned huge page, touched whole by the thread that carves it, so its frames share one
 * TLB entry and no event loop ever takes the page fault of a fresh frame. A cache is memory read
 * at random: with 4 KiB mappings a hit in a large cache also missed the TLB and walked cold page
 * tables. Measured (docs/benchmarks/thp-2026-12-06.md): copying 4 KiB from a random page of
 * 1.5 GiB costs a quarter less with huge pages, and the server's CPU per cached 4 KiB read with
 * the whole 1 GiB file cached went down by about 4 %.
 * Without it, a slab is 1 MiB of the JVM's native memory, zero-filled by the allocator.
 */
final class PagePool implements AutoCloseable {
    private static final long SLAB_BYTES = 1L << 20;

    private final int pageSize;
    /** Bytes of page memory the budget lets be in use: carving ahead stops once the pool holds as much. */
    private final long budgetBytes;
    private final int lowWater;
    private final Arena arena = Arena.ofShared();
    private final HugePageMemory hugePages;
    private final ReentrantLock mutex = new ReentrantLock();
    // guarded by mutex
    private final ArrayDeque<Frame> free = new ArrayDeque<>();
    private boolean closed;
    /**
     * Frames freed while the mutex was busy: a thread that must not wait (an event loop) leaves
     * them here rather than wait for it, and the next holder of the mutex takes them in. Lock-free
     * (a node per frame, but only when the free found the mutex busy).
     */
    private final ConcurrentLinkedQueue<Frame> returned = new ConcurrentLinkedQueue<>();
    /** Bytes carved so far (guarded by mutex). */
    private long carvedBytes;
    /** Null: nobody carves ahead (an engine without background threads). */
    private volatile Executor carver;
    /** A carve ahead is asked for and not finished: at most one at a time. */
    private final AtomicBoolean carvingAhead = new AtomicBoolean();

    /**
     * The first slab is carved now (a volume is being opened: a thread that may wait), so a
     * fresh cache's first misses can be filled by threads that may not ({@link #tryAllocate}).
     */
    PagePool(int pageSize, long budgetBytes) {
        this(pageSize, budgetBytes, null);
    }

    PagePool(int pageSize, long budgetBytes, HugePageMemory hugePages) {
        this.pageSize = pageSize;
        this.hugePages = pageSize <= HugePageMemory.HUGE_PAGE ? hugePages : null;
        this.budgetBytes = budgetBytes;
        this.lowWater = (int) Math.max(1, slabBytes() / pageSize / 4);
        free.addAll(carveSlab());
        carvedBytes = slabBytes();
    }

    /**
     * From now on the pool asks {@code executor} to carve its next slab before the free list runs
     * dry (see "Carving ahead"). The executor must not run the task on the calling thread: the
     * caller of {@link #tryAllocate} may be an event loop.
     */
    void carveAheadOn(Executor executor) {
        this.carver = executor;
    }

    int pageSize() {
        return pageSize;
    }

    /**
     * A page-size segment with whatever bytes it last held: every user overwrites all of it
     * before it becomes uptodate (a fill from the store, which zero-fills past the end, or a
     * write covering the whole page), so zeroing it here would only cost a 4 KiB store per miss.
     */
    Frame allocate() {
        while (true) {
            boolean low = false;
            mutex.lock();
            try {
                Frame f = pollLocked();
                low = lowLocked();
                if (f != null) {
                    return f;
                }
            } finally {
                mutex.unlock();
                if (low) {
                    askToCarveAhead(); // after a demand carve below too: that slab is this thread's
                }
            }
            // Carved outside the mutex: a slab is a zero-filled 1-2 MiB allocation and a frame per
            // page, milliseconds on a loaded machine, and every allocator and freer would wait
            // behind it. Threads that find the list empty together each carve one: at most a slab
            // per concurrent allocator beyond need, kept for later.
            addCarved(carveSlab());
        }
    }

    /**
     * Carves slabs until the pool holds {@code bytes} or its budget, the smaller (see "Prefault");
     * a pool already that large is left alone. Threads may call it together: each claims its next
     * slab under the mutex and carves it outside, so together they carve no more than asked.
     *
     * @return the bytes this call carved
     */
    long prefault(long bytes) {
        long target = Math.min(bytes, budgetBytes);
        long slab = slabBytes();
        long carved = 0;
        while (claim(slab, target)) {
            List<Frame> frames;
            try {
                frames = carveSlab();
            } catch (RuntimeException | Error e) {
                unclaim(slab);
                throw e;
            }
            addFrames(frames);
            carved += slab;
        }
        return carved;
    }

    /** Counts a slab about to be carved, if the pool stays within {@code target} with it. */
    private boolean claim(long slab, long target) {
        mutex.lock();
        try {
            if (closed || carvedBytes + slab > target) {
                return false;
            }
            carvedBytes += slab;
            return true;
        } finally {
            mutex.unlock();
        }
    }

    private void unclaim(long slab) {
        mutex.lock();
        try {
            carvedBytes -= slab;
        } finally {
            mutex.unlock();
        }
    }

    /** Bytes carved into frames so far: the pool's memory, free or in use. */
    long carvedBytes() {
        mutex.lock();
        try {
            return carvedBytes;
        } finally {
            mutex.unlock();
        }
    }

    private void addFrames(List<Frame> slab) {
        mutex.lock();
        try {
            if (!closed) {
                for (Frame f : slab) {
                    free.push(f);
                }
            }
        } finally {
            mutex.unlock();
        }
    }

    private void addCarved(List<Frame> slab) {
        mutex.lock();
        try {
            if (!closed) {
                for (Frame f : slab) {
                    free.push(f);
                }
                carvedBytes += slabBytes();
            }
        } finally {
            mutex.unlock();
        }
    }

    /**
     * {@link #allocate} for a thread that must not wait (an event loop): null when no frame is
     * free, or the mutex stays busy for {@link PageClock#TRY_SPINS} tries and no frame was
     * {@link #returned} meanwhile (those are taken without it: the mutex's holders are few
     * stores long, and two event loops missing together would otherwise send one of them to a
     * worker). It never carves a slab: zeroing 1-2 MiB is the carver's job, asked for here
     * before the list runs dry (see "Carving ahead"), or a worker's (the caller gives up and a
     * worker's {@link #allocate} carves it, for the next 255 misses too).
     */
    Frame tryAllocate() {
        for (int i = 0; !mutex.tryLock(); i++) {
            Frame r = returned.poll();
            if (r != null || i == PageClock.TRY_SPINS) {
                return r;
            }
            Thread.onSpinWait();
        }
        Frame f;
        boolean low;
        try {
            f = pollLocked();
            low = lowLocked();
        } finally {
            mutex.unlock();
        }
        if (low) {
            askToCarveAhead();
        }
        return f;
    }

    /**
     * Whether the next slab should be carved ahead: a carver, fewer than a quarter of a slab
     * free, and a pool still smaller than the budget (so carving ahead never grows the pool past
     * the budget by more than the slab it adds). Mutex held.
     */
    private boolean lowLocked() {
        return carver != null && free.size() < lowWater && carvedBytes < budgetBytes && !carvingAhead.get();
    }

    /** Hands the carver the next slab's carving unless one is under way; never waits. */
    private void askToCarveAhead() {
        Executor c = carver;
        if (c == null || !carvingAhead.compareAndSet(false, true)) {
            return;
        }
        try {
            c.execute(this::carveAhead);
        } catch (RejectedExecutionException e) {
            carvingAhead.set(false); // shutting down: the demand carve still works
        }
    }

    private void carveAhead() {
        try {
            addCarved(carveSlab());
        } catch (IllegalStateException e) {
            // the arena was closed (the engine is closing): nothing left to carve for
        } finally {
            carvingAhead.set(false);
        }
    }

    private long slabBytes() {
        return hugePages != null ? HugePageMemory.HUGE_PAGE : Math.max(SLAB_BYTES, pageSize);
    }

    private Frame pollLocked() {
        if (closed) {
            throw new IllegalStateException("page pool closed");
        }
        Frame f = free.poll();
        if (f == null) {
            for (Frame r; (r = returned.poll()) != null; ) {
                free.push(r);
            }
            f = free.poll();
        }
        return f;
    }

    /** Never waits: a busy mutex sends the frame to {@link #returned}. */
    void free(Frame seg) {
        if (!mutex.tryLock()) {
            returned.offer(seg);
            return;
        }
        try {
            if (!closed) {
                free.push(seg);
            }
        } finally {
            mutex.unlock();
        }
    }

    private List<Frame> carveSlab() {
        long slab = slabBytes();
        MemorySegment s = hugePages != null ? hugePages.map(slab, arena) : arena.allocate(slab, pageSize);
        List<Frame> frames = new ArrayList<>((int) (slab / pageSize));
        for (long off = 0; off + pageSize <= slab; off += pageSize) {
            MemorySegment page = s.asSlice(off, pageSize);
            frames.add(new Frame(page, page.asByteBuffer()));
        }
        return frames;
    }

    /**
     * One page's memory and its buffer view (absolute get/put only: shared by whoever holds the
     * page), and the {@link Page} made for it the first time it was handed out, which is
     * recycled with it (see {@link Page}: a miss re-keys it instead of making a page).
     */
    static final class Frame {
        private final MemorySegment memory;
        private final ByteBuffer buffer;
        /**
         * Set once, by the first thread the frame is handed to; every later taker reads it after
         * taking the frame from the free list (the mutex, or the {@link #returned} queue), which
         * orders it after the write.
         */
        private Page page;

        Frame(MemorySegment memory, ByteBuffer buffer) {
            this.memory = memory;
            this.buffer = buffer;
        }

        MemorySegment memory() {
            return memory;
        }

        ByteBuffer buffer() {
            return buffer;
        }

        /** This frame's page, made on its first use (the caller took the frame from the pool). */
        Page page(CacheSystem system) {
            Page p = page;
            if (p == null) {
                p = new Page(system, this);
                page = p;
            }
            return p;
        }
    }

    /** The mutex itself, for tests that hold it from another thread to show who only tries it. */
    ReentrantLock mutexForTests() {
        return mutex;
    }

    @Override
    public void close() {
        mutex.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            free.clear();
            returned.clear();
        } finally {
            mutex.unlock();
        }
        arena.close();
    }
}
