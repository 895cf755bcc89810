package io.blockhaus.engine.lock;

import java.util.ArrayList;
import java.util.List;

/**
 * An interval tree of {@link RangeHold}s, for {@link RangeLock}: a treap (a binary search
 * tree on {@code (firstPage, seq)}, heap-ordered on a random priority, so balanced with high
 * probability) whose every node also knows the largest {@code endPage} and the smallest
 * {@code seq} below it. Linux's interval tree (an augmented rbtree, {@code include/linux/interval_tree_generic.h})
 * keeps the same "largest end below" value; a treap needs no colour cases, and its
 * split/merge are a few lines each.
 *
 * <ul>
 *   <li>insert, remove: O(log n) expected (one root-to-leaf path, augmentations fixed on the way back);</li>
 *   <li>{@link #anyOverlap}: O(log n) expected: a subtree whose largest end is at or below the
 *       range's start, or whose smallest seq is not older than asked, holds no answer and is skipped;</li>
 *   <li>{@link #overlapping}: O(log n + k) for the k nodes it returns.</li>
 * </ul>
 * Intrusive (the links are the node's own fields: no allocation per insert), and a node is in at
 * most one tree at a time. Not thread-safe: every instance is guarded by its lock's mutex.
 */
final class RangeTree {
    private RangeHold root;
    private int size;
    /** xorshift64 state for the priorities; any non-zero start will do. // guarded by the lock's mutex */
    private long seed;

    RangeTree(long seed) {
        this.seed = seed == 0 ? 0x9E3779B97F4A7C15L : seed;
    }

    int size() {
        return size;
    }

    boolean isEmpty() {
        return root == null;
    }

    void insert(RangeHold n) {
        seed ^= seed << 13;
        seed ^= seed >>> 7;
        seed ^= seed << 17;
        n.prio = seed;
        n.left = null;
        n.right = null;
        fix(n);
        root = insert(root, n);
        size++;
    }

    void remove(RangeHold n) {
        root = remove(root, n);
        n.left = null;
        n.right = null;
        size--;
    }

    /**
     * Some node overlapping {@code [first, end)} whose seq is below {@code beforeSeq}, or null.
     * ({@code Long.MAX_VALUE} for "any age".)
     */
    RangeHold anyOverlap(long first, long end, long beforeSeq) {
        return anyOverlap(root, first, end, beforeSeq);
    }

    /** Every node overlapping {@code [first, end)}, in tree order; the slow paths only. */
    List<RangeHold> overlapping(long first, long end) {
        List<RangeHold> out = new ArrayList<>();
        collect(root, first, end, out);
        return out;
    }

    // ---- treap mechanics (recursive: depth is O(log n) with high probability) -----------------

    private static boolean before(RangeHold a, RangeHold b) {
        return a.firstPage < b.firstPage || (a.firstPage == b.firstPage && a.seq < b.seq);
    }

    private static void fix(RangeHold t) {
        long maxEnd = t.endPage;
        long minSeq = t.seq;
        if (t.left != null) {
            maxEnd = Math.max(maxEnd, t.left.maxEnd);
            minSeq = Math.min(minSeq, t.left.minSeq);
        }
        if (t.right != null) {
            maxEnd = Math.max(maxEnd, t.right.maxEnd);
            minSeq = Math.min(minSeq, t.right.minSeq);
        }
        t.maxEnd = maxEnd;
        t.minSeq = minSeq;
    }

    private RangeHold insert(RangeHold t, RangeHold n) {
        if (t == null) {
            return n;
        }
        if (n.prio > t.prio) {
            split(t, n);
            n.left = splitLow;
            n.right = splitHigh;
            fix(n);
            return n;
        }
        if (before(n, t)) {
            t.left = insert(t.left, n);
        } else {
            t.right = insert(t.right, n);
        }
        fix(t);
        return t;
    }

    /** The two halves of the last {@link #split}, returned through fields to allocate nothing. */
    private RangeHold splitLow;
    private RangeHold splitHigh;

    /** Splits {@code t} into the nodes before {@code key} and the rest. */
    private void split(RangeHold t, RangeHold key) {
        if (t == null) {
            splitLow = null;
            splitHigh = null;
        } else if (before(t, key)) {
            split(t.right, key);
            t.right = splitLow;
            fix(t);
            splitLow = t;
        } else {
            split(t.left, key);
            t.left = splitHigh;
            fix(t);
            splitHigh = t;
        }
    }

    private RangeHold remove(RangeHold t, RangeHold n) {
        if (t == null) {
            throw new IllegalStateException("not in the tree: " + n);
        }
        if (t == n) {
            return merge(t.left, t.right);
        }
        if (before(n, t)) {
            t.left = remove(t.left, n);
        } else {
            t.right = remove(t.right, n);
        }
        fix(t);
        return t;
    }

    /** Joins two treaps, every node of {@code a} before every node of {@code b}. */
    private static RangeHold merge(RangeHold a, RangeHold b) {
        if (a == null) {
            return b;
        }
        if (b == null) {
            return a;
        }
        if (a.prio > b.prio) {
            a.right = merge(a.right, b);
            fix(a);
            return a;
        }
        b.left = merge(a, b.left);
        fix(b);
        return b;
    }

    private static RangeHold anyOverlap(RangeHold t, long first, long end, long beforeSeq) {
        while (t != null && t.maxEnd > first && t.minSeq < beforeSeq) {
            RangeHold found = anyOverlap(t.left, first, end, beforeSeq);
            if (found != null) {
                return found;
            }
            if (t.firstPage >= end) {
                return null; // t and everything after it start at or past the range's end
            }
            if (t.endPage > first && t.seq < beforeSeq) {
                return t;
            }
            t = t.right;
        }
        return null;
    }

    private static void collect(RangeHold t, long first, long end, List<RangeHold> out) {
        while (t != null && t.maxEnd > first) {
            collect(t.left, first, end, out);
            if (t.firstPage >= end) {
                return;
            }
            if (t.endPage > first) {
                out.add(t);
            }
            t = t.right;
        }
    }
}
