package io.blockhaus.nbd;

import io.blockhaus.nbd.codec.NbdLimits;
import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * How the NBD server listens and how much one client may ask of it at once.
 *
 * @param listen             address to bind (port 0 picks a free one, for tests)
 * @param maxConnections     connections beyond this are closed on accept
 * @param handshakeTimeout   a client that has not finished the handshake by then is dropped, so
 *                           half-open connections cannot pile up
 * @param payloadStallTimeout a WRITE whose payload receives no byte for this long closes its
 *                           connection: a client that sends a header and stalls would otherwise
 *                           hold its length of the server-wide budget for good
 * @param maxPayload         largest READ/WRITE length accepted (advertised as the maximum block size)
 * @param maxInflightRequests requests one connection may have in flight before the server stops reading it
 * @param maxInflightBytes   payload bytes (READ and WRITE) one connection may have in flight before reading stops
 * @param maxServerInflightBytes payload bytes all connections together may hold (requests in
 *                           flight and READ replies not yet written to their sockets); half is
 *                           split evenly over the {@code maxConnections} slots, half shared, so it
 *                           must be at least twice {@code maxPayload}; a connection whose next
 *                           request does not fit waits (see {@code PayloadBudget})
 * @param workerThreads      threads running engine operations (they block on locks and disk)
 * @param spliceWrites       large WRITE payloads go from the socket to the file through a pipe,
 *                           never through the JVM, where the transport and store allow it (see
 *                           {@code WriteSplicer}); off only to compare or to rule it out
 * @param eventLoops         threads serving the sockets; 0 for one per core
 * @param copyLoopbackReads  a buffered READ the engine hands out as a range of the file is read
 *                           into a buffer by its worker, not sent with sendfile from the event
 *                           loop, when the client is on a loopback address (see
 *                           {@code ReadReplies}); off only to compare
 */
public record NbdServerConfig(
        InetSocketAddress listen,
        int maxConnections,
        Duration handshakeTimeout,
        Duration payloadStallTimeout,
        int maxPayload,
        int maxInflightRequests,
        long maxInflightBytes,
        long maxServerInflightBytes,
        int workerThreads,
        boolean spliceWrites,
        int eventLoops,
        boolean copyLoopbackReads) {

    public static final int DEFAULT_PORT = 10809;

    public NbdServerConfig {
        if (maxPayload < 4096 || maxPayload > NbdLimits.DEFAULT_MAX_PAYLOAD) {
            throw new IllegalArgumentException("maxPayload must be between 4 KiB and 32 MiB");
        }
        if (handshakeTimeout.isNegative() || handshakeTimeout.isZero()
                || payloadStallTimeout.isNegative() || payloadStallTimeout.isZero()) {
            throw new IllegalArgumentException("NBD timeouts must be positive");
        }
        if (maxConnections < 1 || maxInflightRequests < 1 || maxInflightBytes < maxPayload
                || maxServerInflightBytes < maxPayload || workerThreads < 1 || eventLoops < 0) {
            throw new IllegalArgumentException("NBD limits must be positive and allow one maximal request");
        }
        if (PayloadBudget.poolOf(maxServerInflightBytes, maxConnections) < maxPayload) {
            throw new IllegalArgumentException("the payload budget (" + maxServerInflightBytes + " bytes) must be"
                    + " at least twice the largest request (" + maxPayload + ")");
        }
    }

    public static NbdServerConfig defaults(InetSocketAddress listen) {
        // Workers: enough to keep disks busy while some wait on fsync or a lock, few enough that
        // on a small machine they do not queue on each other (32 measured worse on 2 cores).
        int workers = Math.max(8, 4 * Runtime.getRuntime().availableProcessors());
        // 1 GiB over all connections: sixteen clients at their full 64 MiB, well inside the
        // direct memory of any JVM sized for a server (and a tenth of what 256 x 64 MiB would be).
        // Handshake: 10 s. A real client's handshake (TLS included) takes milliseconds; every second
        // more is a second a connection that sends nothing, or a byte at a time, holds a slot.
        return new NbdServerConfig(listen, 256, Duration.ofSeconds(10), Duration.ofSeconds(30),
                NbdLimits.DEFAULT_MAX_PAYLOAD, 128, 64L << 20, 1L << 30, workers, true, 0, true);
    }

    public NbdServerConfig withPayloadStallTimeout(Duration timeout) {
        return new NbdServerConfig(listen, maxConnections, handshakeTimeout, timeout, maxPayload, maxInflightRequests,
                maxInflightBytes, maxServerInflightBytes, workerThreads, spliceWrites, eventLoops, copyLoopbackReads);
    }

    /** The same with {@code bytes} as the server-wide payload budget. */
    public NbdServerConfig withServerPayloadBudget(long bytes) {
        return new NbdServerConfig(listen, maxConnections, handshakeTimeout, payloadStallTimeout, maxPayload,
                maxInflightRequests, maxInflightBytes, bytes, workerThreads, spliceWrites, eventLoops, copyLoopbackReads);
    }

    /** The same with {@code n} event loops (0: one per core). */
    public NbdServerConfig withEventLoops(int n) {
        return new NbdServerConfig(listen, maxConnections, handshakeTimeout, payloadStallTimeout, maxPayload,
                maxInflightRequests, maxInflightBytes, maxServerInflightBytes, workerThreads, spliceWrites, n, copyLoopbackReads);
    }

    /** The same with the client-facing limits: the connection cap, the handshake deadline and the largest request. */
    public NbdServerConfig withClientLimits(int connections, Duration handshake, int payload) {
        return new NbdServerConfig(listen, connections, handshake, payloadStallTimeout, payload, maxInflightRequests,
                maxInflightBytes, maxServerInflightBytes, workerThreads, spliceWrites, eventLoops, copyLoopbackReads);
    }

    public NbdServerConfig withSpliceWrites(boolean on) {
        return new NbdServerConfig(listen, maxConnections, handshakeTimeout, payloadStallTimeout, maxPayload,
                maxInflightRequests, maxInflightBytes, maxServerInflightBytes, workerThreads, on, eventLoops, copyLoopbackReads);
    }

    public NbdServerConfig withCopyLoopbackReads(boolean on) {
        return new NbdServerConfig(listen, maxConnections, handshakeTimeout, payloadStallTimeout, maxPayload,
                maxInflightRequests, maxInflightBytes, maxServerInflightBytes, workerThreads, spliceWrites, eventLoops, on);
    }

    /** The same settings on another address (the start-up warm-up's private server on a loopback port). */
    public NbdServerConfig withListen(InetSocketAddress address) {
        return new NbdServerConfig(address, maxConnections, handshakeTimeout, payloadStallTimeout, maxPayload,
                maxInflightRequests, maxInflightBytes, maxServerInflightBytes, workerThreads, spliceWrites, eventLoops,
                copyLoopbackReads);
    }
}
