package io.blockhaus.nbd;

import io.blockhaus.limits.ShareSplit;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The server-wide bound on READ and WRITE payload bytes the server holds for its clients, over
 * every connection: the memory a client's numbers can make the server spend on data.
 *
 * <h2>What is held, and until when</h2>
 * A WRITE holds its length from its header until the engine has written its payload and the
 * payload's buffers are released. A READ holds its length from its start until its reply has been
 * written to the socket (the write's future, which Netty also completes, failed, when the
 * connection closes): a reply queued but not yet taken by the kernel is memory held for a client,
 * and a client that sends READs and never reads the replies would otherwise make the server hold
 * them without end. A READ answered from the file holds no buffer, but counts all the same: it is
 * decided on a worker, after the bytes were taken, and a rule with no exception is easier to trust.
 *
 * <h2>Fairness: every connection keeps a share</h2>
 * A plain first-come pool is not enough: 64 clients that each send sixteen 32 MiB READs and never
 * read a reply would fill any bound with replies nobody takes, and every other client would wait
 * for good. So half of the limit is split evenly over the connection slots ({@code connections},
 * the server's connection limit): a connection's own <em>share</em>, which no other connection can
 * take; the other half is a <em>pool</em> shared first come. A request takes from its connection's
 * share first and the rest from the pool. However many connections hold replies their clients do
 * not read, every other connection can still have a share's worth in flight (2 MiB with the
 * defaults: a 1 GiB limit, 256 connections), so a well-behaved client is served; and the sum of
 * what is held never passes the limit, since shares and pool together are the limit. The pool
 * holds at least one largest request (checked here), so every request can run.
 *
 * <h2>Threads</h2>
 * An {@link Account} (one per connection) is used on its connection's event loop only: takes happen
 * there, and so do releases (write futures complete on the channel's loop; WRITE completions are
 * handed back to it). The pool is an atomic shared by all loops, touched only by requests past their share; the total is a LongAdder. A connection that
 * finds no room registers to be resumed; every release into the pool resumes all registered
 * connections (they retry, and those still without room register again). A connection registers
 * at most once at a time, so the queue is bounded by the number of connections.
 */
final class PayloadBudget {
    private final long limit;
    private final long share;
    private final long pool;
    private final AtomicLong poolUsed = new AtomicLong();
    /**
     * Bytes held over all connections, for observation only (the bound is kept by shares and
     * pool): a LongAdder, since every READ adds and subtracts here from every event loop, and one
     * contended atomic line per request cost a cached 4 KiB read 7 % of its CPU.
     */
    private final LongAdder used = new LongAdder();
    /** The most bytes held at once, sampled at each take from the pool (see {@link #peak}). */
    private final AtomicLong peak = new AtomicLong();
    private final ConcurrentLinkedQueue<Runnable> waiting = new ConcurrentLinkedQueue<>();

    /**
     * @param limit       bytes all connections together may hold
     * @param connections the most connections the server keeps open (each gets a share)
     * @param maxRequest  the largest request's length: the pool must hold one
     */
    PayloadBudget(long limit, int connections, long maxRequest) {
        if (limit < 1 || connections < 1) {
            throw new IllegalArgumentException("payload budget and connections must be positive: " + limit + ", " + connections);
        }
        ShareSplit split = ShareSplit.of(limit, connections);
        this.limit = limit;
        this.share = split.share();
        this.pool = split.pool();
        if (pool < maxRequest) {
            throw new IllegalArgumentException("a payload budget of " + limit + " bytes leaves a shared pool of "
                    + pool + ", below one request of " + maxRequest + ": it must be at least twice that");
        }
    }

    /** The shared pool's size: what is left of {@code limit} once every connection slot has its share. */
    static long poolOf(long limit, int connections) {
        return ShareSplit.of(limit, connections).pool();
    }

    long limit() {
        return limit;
    }

    /** Bytes every connection may always hold, whatever the others do. */
    long share() {
        return share;
    }

    /** Bytes held now, over all connections (exact once no request is taking or giving back). */
    long used() {
        return used.sum();
    }

    /**
     * The most bytes held at once, as sampled whenever a request took from the shared pool. Below
     * that, every connection is inside its own share and the total is under the limit by
     * construction; it is a connection going past its share that can bring the total near the
     * limit, and that is where it is sampled, without a shared atomic on every request.
     */
    long peak() {
        return peak.get();
    }

    /** A new connection's account. */
    Account open() {
        return new Account();
    }

    private boolean takeFromPool(long bytes) {
        while (true) {
            long u = poolUsed.get();
            if (u + bytes > pool) {
                return false;
            }
            if (poolUsed.compareAndSet(u, u + bytes)) {
                return true;
            }
        }
    }

    private void wakeAll() {
        for (Runnable r; (r = waiting.poll()) != null; ) {
            r.run();
        }
    }

    /** One connection's use of the budget. Event loop only (see the class comment). */
    final class Account {
        private long own; // bytes of this connection's share held

        private Account() {
        }

        /** Takes {@code bytes} if they fit: a lease to release once; null, taking nothing, otherwise. */
        Lease tryTake(long bytes) {
            long fromShare = Math.min(bytes, share - own);
            long fromPool = bytes - fromShare;
            if (fromPool > 0 && !takeFromPool(fromPool)) {
                return null;
            }
            own += fromShare;
            used.add(bytes);
            if (fromPool > 0) {
                peak.accumulateAndGet(used.sum(), Math::max);
            }
            return new Lease(this, fromShare, fromPool);
        }

        /**
         * Registers {@code resume} to run at the next release into the pool. If room appeared
         * meanwhile (a release between the caller's failed {@link #tryTake} and this call), it
         * runs now, so no wake-up is lost. {@code resume} may run on any thread.
         */
        void await(long bytes, Runnable resume) {
            waiting.add(resume);
            if (poolUsed.get() + (bytes - Math.min(bytes, share - own)) <= pool) {
                wakeAll();
            }
        }
    }

    /** Bytes taken by one request; given back exactly once by {@link #release}, however often it is called. */
    final class Lease {
        private final Account account;
        private final long fromShare;
        private final long fromPool;
        private boolean released;

        private Lease(Account account, long fromShare, long fromPool) {
            this.account = account;
            this.fromShare = fromShare;
            this.fromPool = fromPool;
        }

        long bytes() {
            return fromShare + fromPool;
        }

        /** Gives the bytes back (on the account's event loop) and resumes waiting connections. */
        void release() {
            if (released) {
                return;
            }
            released = true;
            account.own -= fromShare;
            used.add(-(fromShare + fromPool));
            if (fromPool > 0) {
                poolUsed.addAndGet(-fromPool);
            }
            wakeAll(); // a share given back can be what a connection of this loop waits for too
        }
    }
}
