package io.blockhaus.engine.cache;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * Which page indexes of one volume are cached, as bits in chunks of 4096 pages, so "is any page
 * of {@code [first, end)} cached?" costs a word test per 64 pages instead of a lookup per page (a
 * 1 MiB streaming request asked that 256 times, and the boxing was 84 % of the server's
 * allocations).
 *
 * <h2>Why a tree indexed by chunk number, not a map</h2>
 * Every miss adds a bit and every eviction clears one, each in a chunk picked at random by the
 * page. A {@code ConcurrentHashMap<Long, Chunk>} boxed the chunk number on every such call once
 * it passed the {@code Long} cache (127: a cache of 4 GiB over a 16 GiB volume has chunks up to
 * 1023), hashed it and walked a node, and a chunk was four objects (itself, an
 * {@code AtomicInteger}, an {@code AtomicLongArray} and its {@code long[]}): at 4 GiB of cache
 * 12 % of a full-budget miss's CPU was here, and ~78 B of garbage per miss. Here the chunk
 * number's bits are the path: a radix tree of {@link #FANOUT}-way nodes ({@code Object[]}), its
 * leaves the chunks themselves, each one {@code long[]} holding its count and its bits. A volume
 * up to 16 GiB (1024 chunks of 16 MiB) is one node deep, 16 TiB two; an add or a clear reads the
 * root, one slot per level and touches two lines of one array, and allocates nothing unless it
 * makes a chunk.
 *
 * <h2>Ordering, which makes a clear range under BLOCK truly empty</h2>
 * A bit is set after its page entered the index, by the inserter while it holds ADD, and cleared
 * while the page is still indexed and locked, just before it leaves the index. So a page
 * inserted before a BLOCK hold began has its bit visible to the holder, and a new page for the
 * same index, which can only be inserted after the old one left, sets its bit after the old
 * one's clear. A lookup may see a bit clear for a page that is about to leave: callers only rely
 * on "clear" meaning "nothing there that must be written back or shot down".
 *
 * <h2>Growth: nothing ever moves</h2>
 * The root covers chunk numbers below {@code FANOUT^height}. A chunk past that (the volume grew,
 * or a page far out was cached) first grows the tree at the top: a new root whose slot 0 is the
 * old root, published with the new height as one immutable {@link Root} (under this object's
 * monitor, so two growers cannot publish two different roots). No node or chunk is copied or
 * moved, so a reader that still holds the old root finds every chunk of its range in the very
 * same nodes, including chunks added after the grow; a chunk past its old range did not exist
 * when it read that root (its adder grew the tree first), so "absent" was true at that moment.
 * Inner nodes are made on the way down by a CAS of an empty slot: the loser uses the winner's,
 * so two adders cannot hang a chunk on two different nodes.
 *
 * <h2>Memory follows the cache, not the volume's history</h2>
 * A chunk is dropped when its last bit is cleared, so there are never more chunks than cached
 * pages (before chunks were dropped, a 16 TiB volume read once end to end kept 0.6 GB of them).
 * Inner nodes are kept: one of 4 KiB per 16 GiB of the volume ever cached (4 MiB for 16 TiB).
 *
 * <h2>Chunks: reserve a count, then set a bit</h2>
 * A chunk's word 0 counts its set bits, or is {@link #DROPPED}. An adder reserves a count (CAS,
 * refused once the chunk is dropped) before it sets its bit; the clearer that takes the count to
 * zero drops the chunk only by winning a CAS from 0 to {@code DROPPED} (an adder that reserved
 * meanwhile makes that CAS fail), and then empties the slot by a CAS from that chunk to null. So
 * a chunk is never dropped between an adder finding it and setting its bit, and an adder that
 * finds the slot empty or holding a dropped chunk installs a fresh chunk, its bit set, by a CAS
 * from exactly what it saw: it never replaces a live chunk (whose bits another adder may have
 * set), and the dropper's CAS from its own chunk cannot take the fresh one out. Adding to and
 * clearing in a chunk that exists is two atomic updates of one array and no slot write (every
 * cache miss does both). Lookups take no lock: one that read a chunk just before it was dropped
 * sees it empty, which is what it was.
 */
final class ResidentSet {
    private static final int CHUNK_SHIFT = 12;
    /** A chunk's words: its count, then its 4096 bits. */
    private static final int WORDS = 1 + (1 << CHUNK_SHIFT) / Long.SIZE;
    private static final long DROPPED = -1;
    private static final int LEVEL_BITS = 10;
    /** Slots per node. Six levels reach every chunk of a non-negative page index (2^51 chunks). */
    static final int FANOUT = 1 << LEVEL_BITS;

    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(Object[].class);
    private static final VarHandle WORD = MethodHandles.arrayElementVarHandle(long[].class);

    /** The tree's top node and how many levels it has (1: its slots are chunks); replaced whole on growth. */
    private record Root(Object[] node, int height) {
        /** Whether chunk number {@code chunk} is under this root. */
        boolean covers(long chunk) {
            return (chunk >>> (LEVEL_BITS * height)) == 0;
        }
    }

    private volatile Root root = new Root(new Object[FANOUT], 1);

    void add(long index) {
        long chunk = chunkOf(index);
        Object[] leaf = leafNode(chunk);
        int slot = slotAt(chunk, 0);
        while (true) {
            long[] c = (long[]) SLOT.getAcquire(leaf, slot);
            if (c != null && trySet(c, index)) {
                return;
            }
            long[] fresh = new long[WORDS]; // none, or dropped: replace exactly what was seen
            fresh[0] = 1;
            fresh[word(index)] = bit(index);
            if (SLOT.compareAndSet(leaf, slot, c, fresh)) {
                return;
            } // else another adder installed one, or the dropper emptied the slot: look again
        }
    }

    void remove(long index) {
        long chunk = chunkOf(index);
        long[] c = chunkAt(chunk);
        if (c != null && clear(c, index)) {
            Object[] leaf = leafNode(chunk);
            SLOT.compareAndSet(leaf, slotAt(chunk, 0), c, null); // fails only if an adder replaced it already
        }
    }

    /** How many chunks are held (for tests: never more than the set indexes). */
    int chunkCount() {
        Root r = root;
        return countChunks(r.node(), r.height());
    }

    private static int countChunks(Object[] node, int height) {
        int n = 0;
        for (int i = 0; i < FANOUT; i++) {
            Object o = SLOT.getAcquire(node, i);
            if (o == null) {
                continue;
            }
            if (height > 1) {
                n += countChunks((Object[]) o, height - 1);
            } else if ((long) WORD.getVolatile((long[]) o, 0) != DROPPED) {
                n++;
            }
        }
        return n;
    }

    /** Whether any index in {@code [first, end)} is set. */
    boolean anyIn(long first, long end) {
        return firstIn(first, end) >= 0;
    }

    /** The set indexes in {@code [first, end)}, ascending (a snapshot; see the class comment). */
    long[] indexesIn(long first, long end) {
        long[] out = new long[16];
        int n = 0;
        for (long i = firstIn(first, end); i >= 0; i = i + 1 < end ? firstIn(i + 1, end) : -1) {
            if (n == out.length) {
                out = Arrays.copyOf(out, 2 * n);
            }
            out[n++] = i;
        }
        return Arrays.copyOf(out, n);
    }

    /**
     * The lowest set index in {@code [first, end)}, or -1: a word test per 64 indexes, and a
     * subtree with no node is skipped whole, so a range over a sparse volume costs what is cached.
     */
    private long firstIn(long first, long end) {
        long i = Math.max(first, 0);
        Root r = root;
        while (i < end) {
            long chunk = i >>> CHUNK_SHIFT;
            if (!r.covers(chunk)) {
                return -1; // nothing was ever cached this far out (when the root was read)
            }
            Object[] node = r.node();
            int level = r.height() - 1;
            for (; level > 0 && node != null; level--) {
                node = (Object[]) SLOT.getAcquire(node, slotAt(chunk, level));
            }
            // the first index past what the missing node, or this chunk, covers
            long span = node == null ? 1L << (CHUNK_SHIFT + LEVEL_BITS * (level + 1)) : 1L << CHUNK_SHIFT;
            long next = (i & -span) + span;
            long stop = next <= 0 ? end : Math.min(end, next); // next overflows only past the last page
            long[] c = node == null ? null : (long[]) SLOT.getAcquire(node, slotAt(chunk, 0));
            if (c != null) {
                long found = firstSetIn(c, i, stop);
                if (found >= 0) {
                    return found;
                }
            }
            if (next <= 0) {
                return -1;
            }
            i = stop;
        }
        return -1;
    }

    /** The lowest set index of chunk {@code c} in {@code [from, stop)}, all in that chunk, or -1. */
    private static long firstSetIn(long[] c, long from, long stop) {
        for (long j = from; j < stop; ) {
            long wordBase = j & ~63L;
            long wordEnd = stop - wordBase <= 64 ? stop : wordBase + 64; // no overflow at the last word
            int lo = (int) (j - wordBase);
            int hi = (int) (wordEnd - wordBase); // exclusive, 1..64
            long bits = (long) WORD.getVolatile(c, word(j)) & (hi == 64 ? -1L : (1L << hi) - 1) & (-1L << lo);
            if (bits != 0) {
                return wordBase + Long.numberOfTrailingZeros(bits);
            }
            j = wordEnd;
        }
        return -1;
    }

    /** The chunk at {@code chunk}, or null; reads only (no node is made). */
    private long[] chunkAt(long chunk) {
        Root r = root;
        if (!r.covers(chunk)) {
            return null;
        }
        Object[] node = r.node();
        for (int level = r.height() - 1; level > 0; level--) {
            node = (Object[]) SLOT.getAcquire(node, slotAt(chunk, level));
            if (node == null) {
                return null;
            }
        }
        return (long[]) SLOT.getAcquire(node, slotAt(chunk, 0));
    }

    /** The node whose slots hold chunk {@code chunk}'s level, made (and the tree grown) as needed. */
    private Object[] leafNode(long chunk) {
        Root r = root;
        if (!r.covers(chunk)) {
            r = grow(chunk);
        }
        Object[] node = r.node();
        for (int level = r.height() - 1; level > 0; level--) {
            int slot = slotAt(chunk, level);
            Object[] child = (Object[]) SLOT.getAcquire(node, slot);
            if (child == null) {
                Object[] made = new Object[FANOUT];
                Object won = SLOT.compareAndExchange(node, slot, null, made);
                child = won == null ? made : (Object[]) won;
            }
            node = child;
        }
        return node;
    }

    /** A root that covers {@code chunk}: the old root becomes slot 0 of each new level (see "Growth"). */
    private synchronized Root grow(long chunk) {
        Root r = root;
        while (!r.covers(chunk)) {
            Object[] top = new Object[FANOUT];
            top[0] = r.node(); // published by the volatile write below, with the new height
            r = new Root(top, r.height() + 1);
            root = r;
        }
        return r;
    }

    private static long chunkOf(long index) {
        if (index < 0) {
            throw new IllegalArgumentException("negative page index " + index);
        }
        return index >>> CHUNK_SHIFT;
    }

    private static int slotAt(long chunk, int level) {
        return (int) (chunk >>> (LEVEL_BITS * level)) & (FANOUT - 1);
    }

    private static int word(long index) {
        return 1 + (int) ((index >>> 6) & ((1 << (CHUNK_SHIFT - 6)) - 1));
    }

    private static long bit(long index) {
        return 1L << (index & 63);
    }

    /** Sets {@code index} in chunk {@code c}; false (nothing set) when the chunk was dropped. */
    private static boolean trySet(long[] c, long index) {
        long n;
        do {
            n = (long) WORD.getVolatile(c, 0);
            if (n == DROPPED) {
                return false;
            }
        } while (!WORD.compareAndSet(c, 0, n, n + 1));
        long before = (long) WORD.getAndBitwiseOr(c, word(index), bit(index));
        if ((before & bit(index)) != 0) {
            WORD.getAndAdd(c, 0, -1L); // was set already: its own count stays, so this stays >= 1
        }
        return true;
    }

    /** Clears {@code index} in chunk {@code c}; true when that emptied the chunk and this call dropped it. */
    private static boolean clear(long[] c, long index) {
        long before = (long) WORD.getAndBitwiseAnd(c, word(index), ~bit(index));
        return (before & bit(index)) != 0
                && (long) WORD.getAndAdd(c, 0, -1L) == 1
                && WORD.compareAndSet(c, 0, 0L, DROPPED);
    }
}
