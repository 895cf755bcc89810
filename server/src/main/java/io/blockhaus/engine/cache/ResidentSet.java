package io.blockhaus.engine.cache;

import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Which page indexes of one volume are cached, as bits in chunks of 4096 pages, so "is any page
 * of {@code [first, end)} cached?" costs a word test per 64 pages instead of a boxed-key map
 * lookup per page (a 1 MiB streaming request asked that 256 times, and the boxing was 84 % of
 * the server's allocations).
 *
 * <p>Ordering, which makes a clear range under BLOCK truly empty: a bit is set after its page
 * entered the index, by the inserter while it holds ADD, and cleared while the page is still
 * indexed and locked, just before it leaves the index. So a page inserted before a BLOCK hold
 * began has its bit visible to the holder, and a new page for the same index, which can only
 * be inserted after the old one left, sets its bit after the old one's clear. A bit may
 * outlive nothing, but a lookup may see a bit clear for a page that is about to leave: callers
 * only rely on "clear" meaning "nothing there that must be written back or shot down".
 *
 * <p>Memory follows the cache, not the volume's history: a chunk is dropped when its last bit
 * is cleared, so there are never more chunks than cached pages (before, every 16 MiB of a volume
 * ever cached kept its 512-byte chunk: a 16 TiB volume read once end to end held 0.6 GB of
 * them). A chunk counts its set bits, and an adder reserves a count (CAS, refused once the chunk
 * is dropped) before it sets its bit; the clearer that takes the count to zero drops the chunk
 * only by winning a CAS from 0 to "dropped". So a chunk is never dropped between an adder finding
 * it and setting its bit, and an adder that finds a dropped chunk replaces it inside the map's
 * per-key compute, where the dropper's conditional remove cannot take the new one. Adding to and
 * clearing in a chunk that exists is therefore two CASes and no map write (every cache miss
 * does both). Lookups stay lock-free: one that read a chunk just before it was dropped sees it
 * empty, which is what it was.
 */
final class ResidentSet {
    private static final int CHUNK_SHIFT = 12;
    private static final int WORDS = (1 << CHUNK_SHIFT) / Long.SIZE;

    private final ConcurrentHashMap<Long, Chunk> chunks = new ConcurrentHashMap<>();

    void add(long index) {
        long key = index >>> CHUNK_SHIFT;
        Chunk c = chunks.get(key);
        if (c != null && c.trySet(index)) {
            return;
        }
        chunks.compute(key, (k, old) -> {
            if (old != null && old.trySet(index)) {
                return old;
            }
            Chunk fresh = new Chunk(); // none, or dropped: its dropper's remove(key, old) will not match
            fresh.trySet(index);
            return fresh;
        });
    }

    void remove(long index) {
        long key = index >>> CHUNK_SHIFT;
        Chunk c = chunks.get(key);
        if (c != null && c.clear(index)) {
            chunks.remove(key, c);
        }
    }

    /** How many chunks are held (for tests: never more than the set indexes). */
    int chunkCount() {
        return chunks.size();
    }

    /** Whether any index in {@code [first, end)} is set. */
    boolean anyIn(long first, long end) {
        return firstIn(first, end) >= 0;
    }

    /** The set indexes in {@code [first, end)}, ascending (a snapshot; see the class comment). */
    long[] indexesIn(long first, long end) {
        long[] out = new long[16];
        int n = 0;
        for (long i = firstIn(first, end); i >= 0; i = firstIn(i + 1, end)) {
            if (n == out.length) {
                out = Arrays.copyOf(out, 2 * n);
            }
            out[n++] = i;
        }
        return Arrays.copyOf(out, n);
    }

    /** The lowest set index in {@code [first, end)}, or -1: a word test per 64 indexes. */
    private long firstIn(long first, long end) {
        long i = first;
        while (i < end) {
            long chunkEnd = Math.min(end, ((i >>> CHUNK_SHIFT) + 1) << CHUNK_SHIFT);
            Chunk ch = chunks.get(i >>> CHUNK_SHIFT);
            if (ch != null) {
                AtomicLongArray c = ch.words;
                for (long j = i; j < chunkEnd; ) {
                    long wordBase = j & ~63L;
                    long wordEnd = Math.min(chunkEnd, wordBase + 64);
                    int lo = (int) (j - wordBase);
                    int hi = (int) (wordEnd - wordBase); // exclusive, 1..64
                    long bits = c.get(word(j)) & (hi == 64 ? -1L : (1L << hi) - 1) & (-1L << lo);
                    if (bits != 0) {
                        return wordBase + Long.numberOfTrailingZeros(bits);
                    }
                    j = wordEnd;
                }
            }
            i = chunkEnd;
        }
        return -1;
    }

    private static int word(long index) {
        return (int) ((index >>> 6) & (WORDS - 1));
    }

    private static long bit(long index) {
        return 1L << (index & 63);
    }

    /** One chunk's bits (read without locks) and how many are set, or {@link #DROPPED}. */
    private static final class Chunk {
        private static final int DROPPED = -1;

        final AtomicLongArray words = new AtomicLongArray(WORDS);
        private final AtomicInteger set = new AtomicInteger();

        /** Sets {@code index}; false (nothing set) when the chunk was dropped. */
        boolean trySet(long index) {
            int n;
            do {
                n = set.get();
                if (n == DROPPED) {
                    return false;
                }
            } while (!set.compareAndSet(n, n + 1));
            long before = words.getAndAccumulate(word(index), bit(index), (w, b) -> w | b);
            if ((before & bit(index)) != 0) {
                set.decrementAndGet(); // was set already: its own count stays, so this stays >= 1
            }
            return true;
        }

        /** Clears {@code index}; true when that emptied the chunk and this call dropped it. */
        boolean clear(long index) {
            long before = words.getAndAccumulate(word(index), bit(index), (w, b) -> w & ~b);
            return (before & bit(index)) != 0 && set.decrementAndGet() == 0 && set.compareAndSet(0, DROPPED);
        }
    }
}
