package io.blockhaus.tls;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads that do TLS handshakes' CPU work (key exchange, signatures, a client chain's
 * verification) so the event loops do not: a handshake costs a millisecond or more of CPU, and
 * every connection sharing the loop would wait behind it, so a burst of new TLS clients would
 * stall the ones already served. Both handler factories use one: {@link X509HandlerFactory} for
 * the JDK engine's delegated tasks, the PSK handler for Bouncy Castle's handshake steps.
 *
 * <p>Up to one thread per core (handshakes are CPU work: more threads would only queue on the
 * cores), idle threads gone after 30 s so a server that does no handshake keeps none, daemon
 * threads so nothing needs closing. A handler hands over one step of one connection at a time and
 * reads nothing more from that connection until the step is done, so the queue never holds more
 * steps than there are connections in a handshake; it is bounded all the same
 * ({@link #QUEUE}). Past the bound the caller, an event loop, runs the step itself, as it did
 * before this pool existed: a handshake is never refused for it.
 */
public final class HandshakePool {
    /** Handshake steps waiting for a thread; more are run by the event loop that asked. */
    public static final int QUEUE = 1024;

    private HandshakePool() {
    }

    /** A new pool, one per handler factory (the server has one factory per TLS configuration). */
    public static Executor create() {
        int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
        AtomicInteger n = new AtomicInteger();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(QUEUE), r -> {
                    Thread t = new Thread(r, "blockhaus-tls-handshake-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                }, new ThreadPoolExecutor.CallerRunsPolicy());
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }
}
