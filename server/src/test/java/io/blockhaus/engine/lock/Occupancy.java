package io.blockhaus.engine.lock;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * An independent witness of what the lock claims: per-page counts of ADD and BLOCK holders.
 * A holder first counts itself in, then checks the other mode's counts on its pages. Both counts
 * are sequentially consistent, so if an ADD and a BLOCK ever really overlap on a page, at least
 * one of them sees the other (the Dekker argument) and a violation is recorded.
 */
final class Occupancy {
    private final int pages;
    private final AtomicIntegerArray add;
    private final AtomicIntegerArray block;
    final ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();

    Occupancy(int pages) {
        this.pages = pages;
        this.add = new AtomicIntegerArray(pages);
        this.block = new AtomicIntegerArray(pages);
    }

    /** Pages past the end of the tracked area ({@code Long.MAX_VALUE} ends) fold onto its last page. */
    private int clamp(long endPage) {
        return (int) Math.min(endPage, pages);
    }

    void enter(LockMode mode, long first, long end) {
        AtomicIntegerArray mine = mode == LockMode.ADD ? add : block;
        AtomicIntegerArray theirs = mode == LockMode.ADD ? block : add;
        for (int p = (int) first; p < clamp(end); p++) {
            mine.incrementAndGet(p);
        }
        for (int p = (int) first; p < clamp(end); p++) {
            int n = theirs.get(p);
            if (n != 0) {
                violations.add(mode + " [" + first + "," + end + ") entered page " + p + " held by " + n + " "
                        + mode.other() + " on " + Thread.currentThread().getName());
            }
        }
    }

    void leave(LockMode mode, long first, long end) {
        AtomicIntegerArray mine = mode == LockMode.ADD ? add : block;
        for (int p = (int) first; p < clamp(end); p++) {
            mine.decrementAndGet(p);
        }
    }

    boolean empty() {
        for (int p = 0; p < pages; p++) {
            if (add.get(p) != 0 || block.get(p) != 0) {
                return false;
            }
        }
        return true;
    }
}
