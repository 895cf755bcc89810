package io.blockhaus.engine.lock;

import java.util.List;

/**
 * {@link RangeLock}'s lock table: who holds which pages in which mode, who waits, and the rules
 * that say who may proceed. Pure bookkeeping, kept apart from the lock's concurrency protocol: it
 * never parks, never reads a clock, never calls the listener, and is not thread-safe by itself;
 * every method runs under the {@code RangeLock}'s mutex. The lock decides <em>when</em> to look
 * (and how a thread waits, gives up, or releases without waiting); this table decides
 * <em>what</em> the answer is.
 *
 * <h2>Modes, conflicts and fairness</h2>
 * ADD and BLOCK conflict only where their ranges overlap; holders of the same mode never
 * conflict. A request may proceed when it overlaps no holder of the other mode <em>and</em> no
 * earlier waiter of the other mode ({@link #mayProceed}): so a waiting BLOCK holds back later
 * overlapping ADDs (and the reverse), a stream of one mode cannot starve the other on a shared
 * range, and requests on other ranges pass freely. Every request gets a sequence number from
 * {@link #admit}; "earlier" means a smaller one.
 *
 * <h2>Structure and cost</h2>
 * Four {@link RangeTree}s (interval treaps), holders and waiters per mode. With n the holders and
 * waiters in the trees a request consults:
 * <ul>
 *   <li>admit: two overlap queries, O(log n) each, and an O(log n) insert. (The linear scans
 *       this replaced cost O(H + W) per request and O(W * (H + W)) per release.)</li>
 *   <li>{@link #unhold} and {@link #withdraw}: O(log n) removal, plus a grant pass over the
 *       waiters of the other mode that overlap the range that left (the only ones its leaving can
 *       concern): O(log n + k) to find the k of them, O(log n) each to re-judge.</li>
 * </ul>
 * Linux's proposed {@code range_lock} (Bueso, 2017; Kara's 2019 {@code range_rwsem}) is the model:
 * an interval tree of ranges under a spinlock, a waiter blocked by the overlaps it saw when
 * queued. Ours differs in keeping waiters in their own trees so that fairness ("no earlier
 * overlapping waiter of the other mode") is one query, not a count kept in every node.
 *
 * <h2>Waiting for oneself: EDEADLOCK</h2>
 * Every node records the thread that asked for it ({@link WaitNode#thread}: one field store,
 * which the park/grant protocol needs anyway), so the table knows its holders per thread at no
 * cost to the paths that get in. Only a request that would have to wait looks
 * ({@link #waitsForItself}): if an overlapping holder of the other mode is this thread's, or an
 * overlapping waiter of the other mode is itself held back by a holder of this request's mode
 * that is this thread's, waiting would wait for ourselves (until the timeout), and the lock fails
 * the request at once with {@code EDEADLOCK} instead (DESIGN.md rule 2's safety net; the engine
 * refuses the known cases before it takes any lock). Longer chains through other threads' waiters
 * end at those waiters' deadlines and are not searched.
 *
 * <h2>Mode switches</h2>
 * A grant whose mode differs from the previous grant, whatever its range, is a mode switch:
 * {@link #hold} compares with {@code lastGranted} and marks the node; the granted thread tells
 * the listener, outside the mutex.
 */
final class RangeLockTable {
    /** Current holders, by {@link LockMode#ordinal()}. */
    private final RangeTree[] holders = {new RangeTree(0x5DEECE66DL), new RangeTree(0x2545F4914F6CDD1DL)};
    /** Current waiters, by {@link LockMode#ordinal()}. */
    private final RangeTree[] waiting = {new RangeTree(0x9E3779B97F4A7C15L), new RangeTree(0xBF58476D1CE4E5B9L)};
    /** Next request's sequence number: its place in the FIFO order. */
    private long nextSeq;
    /** The mode of the latest grant, for {@link LockListener#modeSwitched}. */
    private LockMode lastGranted = LockMode.ADD;

    /**
     * Gives {@code node} its place in the FIFO order and holds it if it may proceed now. False:
     * it must wait, and is not queued yet (the lock decides whether it will: {@link #enqueue}).
     */
    boolean admit(RangeHold node) {
        node.seq = nextSeq++;
        if (!mayProceed(node, Long.MAX_VALUE)) {
            return false;
        }
        hold(node);
        return true;
    }

    /** Queues {@code node}, refused by {@link #admit}, as a waiter; a later grant pass may hold it. */
    void enqueue(RangeHold node) {
        waiting[node.mode.ordinal()].insert(node);
    }

    /** A waiter not granted gives up: it leaves, and lets in whoever it held back. */
    void withdraw(RangeHold node) {
        waiting[node.mode.ordinal()].remove(node);
        grantOverlapping(node.mode.other(), node.firstPage, node.endPage);
    }

    /** A holder leaves, and lets in the waiters it held back. */
    void unhold(RangeHold n) {
        holders[n.mode.ordinal()].remove(n);
        grantOverlapping(n.mode.other(), n.firstPage, n.endPage);
    }

    int holders(LockMode mode) {
        return holders[mode.ordinal()].size();
    }

    int waiters(LockMode mode) {
        return waiting[mode.ordinal()].size();
    }

    /**
     * Whether {@code node} may hold now: no overlapping holder of the other mode, and no
     * overlapping waiter of the other mode older than {@code beforeSeq}.
     */
    private boolean mayProceed(RangeHold node, long beforeSeq) {
        int other = node.mode.other().ordinal();
        return holders[other].anyOverlap(node.firstPage, node.endPage, Long.MAX_VALUE) == null
                && waiting[other].anyOverlap(node.firstPage, node.endPage, beforeSeq) == null;
    }

    /**
     * Grants, oldest first, every waiter of {@code mode} overlapping {@code [first, end)} that may
     * now proceed: the only waiters that the departure of a holder or waiter of the other mode on
     * that range can concern. A grant never frees anyone else (it only adds a holder).
     */
    private void grantOverlapping(LockMode mode, long first, long end) {
        RangeTree q = waiting[mode.ordinal()];
        if (q.isEmpty()) {
            return;
        }
        List<RangeHold> candidates = q.overlapping(first, end);
        candidates.sort((a, b) -> Long.compare(a.seq, b.seq));
        for (RangeHold w : candidates) {
            if (mayProceed(w, w.seq)) {
                q.remove(w);
                hold(w);
                w.grant();
            }
        }
    }

    private void hold(RangeHold node) {
        holders[node.mode.ordinal()].insert(node);
        node.switched = lastGranted != node.mode;
        lastGranted = node.mode;
    }

    /** See "Waiting for oneself" in the class comment. Only for a request that must wait. */
    boolean waitsForItself(RangeHold node) {
        Thread me = node.thread;
        RangeTree otherHolders = holders[node.mode.other().ordinal()];
        for (RangeHold h : otherHolders.overlapping(node.firstPage, node.endPage)) {
            if (h.thread == me) {
                return true;
            }
        }
        RangeTree sameHolders = holders[node.mode.ordinal()];
        for (RangeHold w : waiting[node.mode.other().ordinal()].overlapping(node.firstPage, node.endPage)) {
            for (RangeHold h : sameHolders.overlapping(w.firstPage, w.endPage)) {
                if (h.thread == me) {
                    return true;
                }
            }
        }
        return false;
    }
}
