package io.blockhaus.metrics.http;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * The metrics server's executor: each exchange on a thread of its own (virtual), at most
 * {@code maxExchanges} at once, each ended by its deadline.
 *
 * <p><b>The problem.</b> The JDK's HTTP server hands a connection to its executor as soon as the
 * connection becomes readable, and the exchange then reads the request line and headers in
 * blocking mode on the executor's thread. So a client that sends half a request line and stops
 * holds a thread for as long as it likes; two of them held both threads of the old fixed pool, and
 * {@code /healthz} stopped answering (a liveness probe then restarts a healthy server).
 *
 * <p><b>Why here and not in the JDK server.</b> The JDK server's own request timeout
 * ({@code sun.net.httpserver.maxReqTime}) is a system property read once into static state: it
 * would apply to every JDK HTTP server in the JVM, and only if set before the class loads. Nor
 * does the server let us reach its accepted sockets to set a read timeout (and {@code SO_TIMEOUT}
 * does not apply to a {@code SocketChannel}'s reads anyway). What is ours per server is the
 * executor, so the bound lives there:
 * <ul>
 *   <li><b>More threads, cheaply</b>: a virtual thread per exchange, so a few slow clients cost a
 *       few parked virtual threads, not the server's only two threads; a scrape or probe finds a
 *       thread at once. Past {@code maxExchanges} running, {@link #execute} refuses, and the JDK
 *       server closes that connection (a scraper retries at its next interval).</li>
 *   <li><b>A deadline</b>: an exchange still running {@code deadline} after it started has its
 *       thread interrupted, and an interrupt closes the blocking channel the exchange is reading
 *       or writing ({@code InterruptibleChannel}: {@code ClosedByInterruptException}), which ends
 *       the exchange and frees its slot. So clients that trickle bytes hold at most
 *       {@code maxExchanges} slots, each for at most the deadline, whatever they send: the
 *       per-request deadline NBD's handshake timeout is, for HTTP. A scrape that takes longer
 *       than the deadline is cut too, as Prometheus's own scrape timeout (10 s by default) would.</li>
 * </ul>
 * A thread is never reused, so a deadline that fires just as its exchange ends interrupts a thread
 * with nothing left to do: no other exchange can inherit the interrupt.
 */
final class BoundedExchanges implements Executor, AutoCloseable {
    private final Semaphore slots;
    private final int maxExchanges;
    private final long deadlineNanos;
    private final ThreadFactory threads = Thread.ofVirtual().name("blockhaus-metrics-http-", 0).factory();
    /** One platform thread that only interrupts exchanges past their deadline. */
    private final ScheduledThreadPoolExecutor deadlines;
    private final Set<Thread> running = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    BoundedExchanges(int maxExchanges, Duration deadline) {
        this.maxExchanges = maxExchanges;
        this.slots = new Semaphore(maxExchanges);
        this.deadlineNanos = deadline.toNanos();
        this.deadlines = new ScheduledThreadPoolExecutor(1,
                Thread.ofPlatform().name("blockhaus-metrics-http-deadlines").daemon().factory());
        deadlines.setRemoveOnCancelPolicy(true); // a finished exchange's deadline leaves the queue at once
    }

    @Override
    public void execute(Runnable exchange) {
        if (closed || !slots.tryAcquire()) {
            throw new RejectedExecutionException(closed ? "the metrics server is closing"
                    : maxExchanges + " metrics exchanges are running");
        }
        Exchange e = new Exchange(exchange);
        Thread t = threads.newThread(e);
        e.deadline = deadlines.schedule(t::interrupt, deadlineNanos, TimeUnit.NANOSECONDS);
        running.add(t);
        t.start(); // publishes e.deadline to the thread
    }

    /** Exchanges running now. */
    int running() {
        return running.size();
    }

    /** Refuses new exchanges and interrupts (so disconnects) those running. */
    @Override
    public void close() {
        closed = true;
        deadlines.shutdownNow();
        running.forEach(Thread::interrupt);
    }

    private final class Exchange implements Runnable {
        private final Runnable work;
        ScheduledFuture<?> deadline;

        Exchange(Runnable work) {
            this.work = work;
        }

        @Override
        public void run() {
            try {
                work.run();
            } finally {
                deadline.cancel(false);
                running.remove(Thread.currentThread());
                slots.release();
            }
        }
    }
}
