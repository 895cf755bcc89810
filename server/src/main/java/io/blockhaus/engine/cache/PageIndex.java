package io.blockhaus.engine.cache;

import java.util.Arrays;
import java.util.concurrent.locks.StampedLock;

/**
 * One volume's page index: page index (a {@code long}) to its {@link Page}, with lookups that
 * take no lock and write nothing.
 *
 * <h2>Why not a {@code ConcurrentHashMap<Long, Page>}</h2>
 * Every miss inserts a page and every eviction removes one, so with a large cache the map's
 * entries are long-lived objects made at the rate of misses: a {@code Long} key and a node per
 * page, each living one lap of the clock, which at 4 GiB of cache outlives the young generation
 * (copied, promoted, card-scanned: docs/benchmarks/ceiling-2026-12-06.md). Here an entry is a
 * {@code long} key in one array and a reference to a {@link Page} in another, and pages are
 * recycled with their frames (see {@link Page}), so an insert writes two slots and allocates
 * nothing. Probes and removal's shifts read only the keys, never a page (a cache miss each
 * with a large cache).
 *
 * <h2>Why not a library's lock-free long-keyed map</h2>
 * JCTools' {@code NonBlockingHashMapLong} (4.0.7) does its CASes through {@code sun.misc.Unsafe}
 * and on JDK 25 prints "a terminally deprecated method in sun.misc.Unsafe has been called" the
 * first time a volume is opened (JEP 471: such calls warn now and are to throw later). The
 * engine's hottest structure should not hang on an API on its way out, and nothing here needs
 * lock-free writes: the JDK's {@link StampedLock} gives lock-free reads and cheap, striped
 * writes.
 *
 * <h2>Layout</h2>
 * {@link #STRIPES} stripes, chosen by the top bits of a mixed hash of the index; each is an
 * open-addressing table of pages with linear probing (load at most 1/2, grown by doubling and
 * shrunk by halving below 1/8, so its memory follows what is cached), guarded by its own
 * {@link StampedLock}. Removal shifts later entries of the probe run back into the hole
 * (Knuth's algorithm R), so there are no tombstones and a probe ends at the first empty slot.
 *
 * <h2>Concurrency</h2>
 * <ul>
 *   <li><b>Writes</b> ({@link #putIfAbsent}, {@link #remove}) hold their stripe's write lock:
 *       a CAS to take it and a store to give it back, uncontended unless two writers hash to
 *       the same one of 64 stripes at the same moment. Callers already order them: an insert
 *       holds the volume's ADD and the new page's lock, a removal holds the page's lock.</li>
 *   <li><b>Reads</b> ({@link #get}, {@link #contains}) are optimistic: read the stripe's stamp,
 *       probe the table as it is, then validate the stamp. The probe may race a writer and see
 *       a half-moved run, a table being replaced, or nothing sensible at all; it cannot fault,
 *       because it reads the table reference once (a {@link Table} with final fields: a
 *       reference and its own mask always agree) and never probes more slots than the table
 *       has. Whatever it found is used only if validation shows no write lock was taken since
 *       the stamp was read; otherwise it probes again under the read lock. So a read returns
 *       what the index held at one moment: the state after some completed write (a key and a
 *       page read from two different writes cannot pass validation).</li>
 *   <li><b>What a caller may conclude</b>: a page found was indexed at that key at that moment
 *       and may be removed, freed and even re-keyed to another index or volume right after, so
 *       callers lock it and check {@link Page#isPageOf} (see "Identity" in {@link Page}); a key
 *       not found was absent at that moment. So a key present throughout a lookup is found, and
 *       a page returned for a key was that key's.</li>
 *   <li><b>Walks</b> ({@link #keysIn}, {@link #size}) visit stripe by stripe, each at one
 *       moment (a read lock for the keys, a validated read for the count): like a map's
 *       iterator, a walk is not a snapshot of the whole index, and callers never relied on
 *       one.</li>
 * </ul>
 */
final class PageIndex {
    /** A power of two: enough that writers (two to four per core) rarely meet on a stripe. */
    static final int STRIPES = 64;
    private static final int STRIPE_SHIFT = Long.SIZE - Integer.numberOfTrailingZeros(STRIPES);
    private static final int MIN_CAPACITY = 16;

    private final Stripe[] stripes = new Stripe[STRIPES];

    /** Sized for about {@code expectedPages} pages without growing. */
    PageIndex(long expectedPages) {
        int perStripe = (int) Math.min(1 << 24, expectedPages / STRIPES + 1);
        int capacity = Math.max(MIN_CAPACITY, Integer.highestOneBit(perStripe) << 2); // load <= 1/2
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new Stripe(capacity);
        }
    }

    /** The page indexed at {@code index}, or null. Takes no lock (see "Reads"). */
    Page get(long index) {
        long h = mix(index);
        Stripe s = stripe(h);
        long stamp = s.tryOptimisticRead();
        if (stamp != 0) {
            Page p = s.table.find(index, (int) h);
            if (s.validate(stamp)) {
                return p;
            }
        }
        stamp = s.readLock();
        try {
            return s.table.find(index, (int) h);
        } finally {
            s.unlockRead(stamp);
        }
    }

    /** The stripe of a key whose mixed hash is {@code h}: its top bits (its low bits pick the slot). */
    private Stripe stripe(long h) {
        return stripes[(int) (h >>> STRIPE_SHIFT)];
    }

    boolean contains(long index) {
        return get(index) != null;
    }

    /** Indexes {@code p} at {@code index} unless a page is there; returns that page, or null when {@code p} went in. */
    Page putIfAbsent(long index, Page p) {
        long h = mix(index);
        Stripe s = stripe(h);
        long stamp = s.writeLock();
        try {
            Table t = s.table;
            int slot = (int) h & t.mask;
            for (Page q; (q = t.pages[slot]) != null; slot = (slot + 1) & t.mask) {
                if (t.keys[slot] == index) {
                    return q;
                }
            }
            t.keys[slot] = index;
            t.pages[slot] = p;
            if (++s.size > t.pages.length >>> 1) {
                s.table = t.resized(t.pages.length << 1);
            }
            return null;
        } finally {
            s.unlockWrite(stamp);
        }
    }

    /** Removes {@code p} if it is the page indexed at {@code index}; true if it was. */
    boolean remove(long index, Page p) {
        long h = mix(index);
        Stripe s = stripe(h);
        long stamp = s.writeLock();
        try {
            Table t = s.table;
            int slot = (int) h & t.mask;
            for (Page q; (q = t.pages[slot]) != p || t.keys[slot] != index; slot = (slot + 1) & t.mask) {
                if (q == null) {
                    return false;
                }
            }
            t.removeAt(slot);
            if (--s.size < t.pages.length >>> 3 && t.pages.length > s.minCapacity) {
                s.table = t.resized(t.pages.length >>> 1);
            }
            return true;
        } finally {
            s.unlockWrite(stamp);
        }
    }

    /** Pages indexed now (a sum over stripes, each exact at its moment). */
    long size() {
        long n = 0;
        for (Stripe s : stripes) {
            long stamp = s.tryOptimisticRead();
            int k = s.size;
            if (stamp == 0 || !s.validate(stamp)) {
                stamp = s.readLock();
                k = s.size;
                s.unlockRead(stamp);
            }
            n += k;
        }
        return n;
    }

    /** The keys in {@code [first, end)} indexed now, stripe by stripe (see "Walks"), ascending. */
    long[] keysIn(long first, long end) {
        long[] out = new long[16];
        int n = 0;
        for (Stripe s : stripes) {
            long stamp = s.readLock();
            try {
                Table t = s.table;
                for (int i = 0; i < t.pages.length; i++) {
                    long k = t.keys[i];
                    if (t.pages[i] != null && k >= first && k < end) {
                        if (n == out.length) {
                            out = Arrays.copyOf(out, 2 * n);
                        }
                        out[n++] = k;
                    }
                }
            } finally {
                s.unlockRead(stamp);
            }
        }
        out = Arrays.copyOf(out, n);
        Arrays.sort(out);
        return out;
    }

    /**
     * murmur3's 64-bit finaliser: neighbouring page indexes (the usual case) and power-of-two
     * strides (a volume walked by a large aligned step) spread over stripes and slots alike.
     */
    static long mix(long index) {
        long h = index;
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }

    /** A stripe: its lock, its table (replaced whole when resized), and its count; both written under the write lock. */
    private static final class Stripe extends StampedLock {
        final int minCapacity;
        Table table;
        int size;

        Stripe(int capacity) {
            this.minCapacity = capacity;
            this.table = new Table(capacity);
        }
    }

    /**
     * An open-addressing table: each page's index in {@code keys} beside it, so probes and
     * removal's shifts read one array and never a page (a cache miss each with a large cache).
     * The arrays and {@code mask} are final together, so a racy reader sees them agree; a slot
     * is empty when its page is null (its key is then stale and never read).
     */
    private static final class Table {
        final long[] keys;
        final Page[] pages;
        final int mask;

        Table(int capacity) {
            this.keys = new long[capacity];
            this.pages = new Page[capacity];
            this.mask = capacity - 1;
        }

        /** The page at {@code index}, probing at most the whole table (a racing write may have left no empty slot in sight). */
        Page find(long index, int hash) {
            Page[] t = pages;
            long[] k = keys;
            int slot = hash & mask;
            for (int probes = 0; probes <= mask; probes++, slot = (slot + 1) & mask) {
                Page q = t[slot];
                if (q == null) {
                    return null;
                }
                if (k[slot] == index) {
                    return q; // a torn pair (key and page of two writes) fails validation
                }
            }
            return null;
        }

        /**
         * Empties {@code hole} and moves back every later entry of its probe run that may not
         * stay behind a hole (its home slot is not cyclically within {@code (hole, slot]}).
         */
        void removeAt(int hole) {
            Page[] t = pages;
            for (int slot = (hole + 1) & mask; t[slot] != null; slot = (slot + 1) & mask) {
                int home = (int) mix(keys[slot]) & mask;
                if (((slot - home) & mask) >= ((slot - hole) & mask)) {
                    keys[hole] = keys[slot];
                    t[hole] = t[slot];
                    hole = slot;
                }
            }
            t[hole] = null;
        }

        Table resized(int capacity) {
            Table n = new Table(capacity);
            for (int i = 0; i < pages.length; i++) {
                if (pages[i] != null) {
                    int slot = (int) mix(keys[i]) & n.mask;
                    while (n.pages[slot] != null) {
                        slot = (slot + 1) & n.mask;
                    }
                    n.keys[slot] = keys[i];
                    n.pages[slot] = pages[i];
                }
            }
            return n;
        }
    }
}
