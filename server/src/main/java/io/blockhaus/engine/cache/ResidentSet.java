package io.blockhaus.engine.cache;

import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
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
 * them). Setting and clearing run inside the map's per-key compute, so a chunk is never dropped
 * between an adder finding it and setting its bit. Lookups stay lock-free: one that read a chunk
 * just before it was dropped sees it empty, which is what it was.
 */
final class ResidentSet {
    private static final int CHUNK_SHIFT = 12;
    private static final int WORDS = (1 << CHUNK_SHIFT) / Long.SIZE;

    private final ConcurrentHashMap<Long, Chunk> chunks = new ConcurrentHashMap<>();

    void add(long index) {
        chunks.compute(index >>> CHUNK_SHIFT, (k, c) -> {
            Chunk chunk = c == null ? new Chunk() : c;
            chunk.set(index);
            return chunk;
        });
    }

    void remove(long index) {
        chunks.computeIfPresent(index >>> CHUNK_SHIFT, (k, c) -> c.clear(index) ? c : null);
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

    /** One chunk's bits (read without locks) and how many are set (changed only inside compute). */
    private static final class Chunk {
        final AtomicLongArray words = new AtomicLongArray(WORDS);
        private int set;

        void set(long index) {
            long before = words.getAndAccumulate(word(index), bit(index), (w, b) -> w | b);
            if ((before & bit(index)) == 0) {
                set++;
            }
        }

        /** Clears {@code index}; whether any bit is still set. */
        boolean clear(long index) {
            long before = words.getAndAccumulate(word(index), bit(index), (w, b) -> w & ~b);
            if ((before & bit(index)) != 0) {
                set--;
            }
            return set > 0;
        }
    }
}
