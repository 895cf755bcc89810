package io.blockhaus.grpc;

import io.blockhaus.limits.ShareSplit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.Consumer;

/**
 * The server-wide bound on gRPC message bytes the server holds for its clients, over every
 * connection ({@code --grpc-payload-budget}): request messages asked of the transport and not yet
 * consumed ({@link RequestFlow}), and Read reply chunks not yet taken by the transport
 * ({@link ReadStreamer}). Without it, each call could hold a whole request message (a unary call
 * holds its request until the client half-closes, which a hostile client never does) and each Read
 * stream a chunk its client never reads: calls x largest message, over 1 GiB with the defaults,
 * and unbounded for the calls that skip the worker pool's admission.
 *
 * <h2>What is counted</h2>
 * Reservations, not the bytes that arrive: a request reserves the largest message gRPC accepts
 * ({@code --grpc-max-message}) before the transport is asked for it, since gRPC's public API tells
 * nobody a message's size before it has been read whole into memory; a reply chunk reserves its
 * length. So what is held never passes what is reserved, and reserved never passes the limit.
 *
 * <h2>Fairness: every connection keeps a share</h2>
 * As the NBD front end's payload budget ({@link ShareSplit}): half of the limit is split evenly over the connection
 * slots ({@code --grpc-max-connections}), a connection's own <em>share</em> nobody else can take;
 * the other half is a <em>pool</em> shared first come. A reservation takes from its connection's
 * share first, the rest from the pool. However many connections hold what their clients never
 * consume, every other connection still has its share (2 MiB with the defaults, a 256 MiB limit
 * over 64 connections: one largest message and a reply chunk), so a well-behaved client is
 * served; shares and pool together are the limit, so the sum never passes it. The pool holds at
 * least one largest message (checked), so every reservation can be granted some day.
 *
 * <h2>Waiting, not refusing</h2>
 * A reservation that does not fit waits ({@link Account#await}); nothing is refused. Waiting costs
 * no thread and no memory: a request not yet asked for stays in its connection's HTTP/2 window
 * (already bounded by the connection cap), so the client is simply slowed by flow control, as an
 * NBD client is when its connection stops being read. Refusing instead (RESOURCE_EXHAUSTED, as
 * {@code CallAdmission} does for a call past the queue) would fail a well-behaved Write halfway
 * through its stream because others were greedy, and a Write cut short leaves a short write the
 * client must redo; the queue-full refusal is about how many calls there are, this is about
 * bytes, and the call's deadline and cancellation still end a wait (the waiter is withdrawn).
 *
 * <h2>Threads and cost</h2>
 * Everything is guarded by this object's monitor, held only for arithmetic and, on a release with
 * waiters, a walk over them; never while anything else runs: grants are handed to their callbacks
 * after it is let go, on the releasing thread, which may be a transport thread (a Watch or
 * AckInvalidations call runs there), so callbacks must not block (they ask the transport for a
 * message, or hand a Read's next chunk to a worker). One uncontended monitor enter per message
 * and per chunk, against gRPC's own microseconds per message. A release grants every waiter that
 * now fits, oldest first, skipping those that do not (a waiter that needs only its connection's
 * share must not wait behind one that needs the pool); the walk is over waiters, which exist only
 * while the budget is exhausted, and there are at most as many as calls.
 */
final class MessageBudget {
    private final long limit;
    private final long share;
    private final long pool;
    private long poolUsed; // guarded by this
    private long used; // guarded by this
    private long peak; // guarded by this
    private final ArrayDeque<Waiter> waiting = new ArrayDeque<>(); // guarded by this
    /** The account of a call that came without one (no connection attributes): the pool only. */
    private final Account unattached = new Account(0);

    /**
     * @param limit       bytes all connections together may hold
     * @param connections the most connections the server keeps open (each gets a share)
     * @param largest     the largest reservation (a request message): the pool must hold one
     */
    MessageBudget(long limit, int connections, long largest) {
        ShareSplit split = ShareSplit.of(limit, connections);
        if (!split.holds(largest)) {
            throw new IllegalArgumentException("a gRPC payload budget of " + limit + " bytes leaves a shared pool of "
                    + split.pool() + ", below one message of " + largest + ": it must be at least twice that");
        }
        this.limit = limit;
        this.share = split.share();
        this.pool = split.pool();
    }

    long limit() {
        return limit;
    }

    /** Bytes every connection may always hold, whatever the others do. */
    long share() {
        return share;
    }

    /** Bytes reserved now, over all connections. */
    synchronized long used() {
        return used;
    }

    /** The most bytes reserved at once since the server started. */
    synchronized long peak() {
        return peak;
    }

    /** Reservations waiting for bytes now. */
    synchronized int waiting() {
        return waiting.size();
    }

    /** A new connection's account, with its share. */
    Account open() {
        return new Account(share);
    }

    /** The account for a call without a connection's (see {@link #unattached}). */
    Account unattached() {
        return unattached;
    }

    /** One connection's use of the budget. Thread-safe (the budget's monitor). */
    final class Account {
        private final long shareLimit;
        private long own; // guarded by MessageBudget.this: bytes of this account's share held

        private Account(long shareLimit) {
            this.shareLimit = shareLimit;
        }

        /** Reserves {@code bytes} if they fit now: a lease to release once; null, reserving nothing, otherwise. */
        Lease tryTake(long bytes) {
            synchronized (MessageBudget.this) {
                return take(bytes);
            }
        }

        /**
         * Reserves {@code bytes} and hands the lease to {@code granted}: at once on this thread if
         * they fit now, else on the thread of a later release. The waiter can be withdrawn
         * (cancellation); a grant that races with the withdrawal still reaches {@code granted},
         * whose owner then releases it.
         */
        Waiter await(long bytes, Consumer<Lease> granted) {
            Waiter w = new Waiter(this, bytes, granted);
            Lease now;
            synchronized (MessageBudget.this) {
                now = take(bytes);
                if (now == null) {
                    waiting.add(w);
                    return w;
                }
            }
            granted.accept(now);
            return w;
        }

        /** Caller holds the budget's monitor. */
        private Lease take(long bytes) {
            long fromShare = Math.min(bytes, shareLimit - own);
            long fromPool = bytes - fromShare;
            if (poolUsed + fromPool > pool) {
                return null;
            }
            poolUsed += fromPool;
            own += fromShare;
            used += bytes;
            peak = Math.max(peak, used);
            return new Lease(this, fromShare, fromPool);
        }
    }

    /** Bytes reserved by one message or chunk; given back exactly once by {@link #release}, however often it is called. */
    final class Lease {
        private final Account account;
        private final long fromShare;
        private final long fromPool;
        private boolean released; // guarded by MessageBudget.this

        private Lease(Account account, long fromShare, long fromPool) {
            this.account = account;
            this.fromShare = fromShare;
            this.fromPool = fromPool;
        }

        long bytes() {
            return fromShare + fromPool;
        }

        /** Gives the bytes back and grants the waiters that now fit (their callbacks run here, after the monitor). */
        void release() {
            List<Waiter> granted;
            synchronized (MessageBudget.this) {
                if (released) {
                    return;
                }
                released = true;
                account.own -= fromShare;
                poolUsed -= fromPool;
                used -= fromShare + fromPool;
                granted = grantWaiters();
            }
            RuntimeException failed = null;
            for (Waiter w : granted) {
                try {
                    w.granted.accept(w.lease);
                } catch (RuntimeException e) {
                    // Every grant reaches its waiter even if one throws (a transport already stopped).
                    if (failed == null) {
                        failed = e;
                    } else {
                        failed.addSuppressed(e);
                    }
                }
            }
            if (failed != null) {
                throw failed;
            }
        }
    }

    /** Caller holds the monitor: takes for every waiter that fits now, oldest first, and dequeues it. */
    private List<Waiter> grantWaiters() {
        if (waiting.isEmpty()) {
            return List.of();
        }
        List<Waiter> granted = new ArrayList<>();
        for (Iterator<Waiter> it = waiting.iterator(); it.hasNext(); ) {
            Waiter w = it.next();
            Lease l = w.account.take(w.bytes);
            if (l != null) {
                w.lease = l;
                it.remove();
                granted.add(w);
            }
        }
        return granted;
    }

    /** A reservation waiting for bytes. */
    final class Waiter {
        private final Account account;
        private final long bytes;
        private final Consumer<Lease> granted;
        private Lease lease; // guarded by MessageBudget.this

        private Waiter(Account account, long bytes, Consumer<Lease> granted) {
            this.account = account;
            this.bytes = bytes;
            this.granted = granted;
        }

        /** Stops waiting; true if it was still waiting (it will never be granted), false if already granted. */
        boolean withdraw() {
            synchronized (MessageBudget.this) {
                return waiting.remove(this);
            }
        }
    }
}
