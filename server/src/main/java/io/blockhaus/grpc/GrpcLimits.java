package io.blockhaus.grpc;

import io.blockhaus.limits.ShareSplit;
import java.time.Duration;

/**
 * What one gRPC client may ask of the server; past each bound the call, or that client's
 * connection, is refused, never the server.
 *
 * @param maxInboundMessage    the largest request message; larger ones end their call with
 *                             RESOURCE_EXHAUSTED (gRPC's own check, before the message is
 *                             parsed). At least one data chunk and its header, or the client
 *                             library's own writes would fail
 * @param maxCallsPerConnection calls in flight on one connection (HTTP/2 MAX_CONCURRENT_STREAMS);
 *                             a well-behaved client waits for a slot, one that opens more streams
 *                             anyway gets them refused (REFUSED_STREAM)
 * @param callQueue            calls on the worker pool beyond its threads, server-wide: a call that
 *                             would be one more gets RESOURCE_EXHAUSTED at once (see {@code CallAdmission})
 * @param permitKeepAlive      the most often a client may ping; a client pinging more often is sent
 *                             GOAWAY (ENHANCE_YOUR_CALM) and its connection closed
 * @param maxConnectionIdle    a connection with no call for this long is sent GOAWAY;
 *                             {@link Duration#ZERO} for never (the default: a client may hold
 *                             handles on an idle connection, and closing it starts its lease)
 * @param maxHandles           handles open server-wide
 * @param maxHandlesPerClient  handles one client (its {@code blockhaus-client} id) holds open
 * @param maxMappingsPerHandle mappings one handle holds (each pins the pages it maps)
 * @param maxConnections       connections open at once, server-wide; more are closed at accept
 *                             ({@link GrpcConnectionCap}). With each connection's receive window
 *                             ({@link GrpcServer#FLOW_CONTROL_WINDOW}) this bounds what clients
 *                             can make the server buffer, server-wide
 * @param maxConnectionsPerSource connections open at once from one source address; more are
 *                             closed at accept, so one host cannot take every connection
 * @param payloadBudget        bytes of request messages asked of the transport and Read reply
 *                             chunks not yet taken by it, over all connections ({@link MessageBudget};
 *                             half split over the {@code maxConnections} slots, half shared). At
 *                             least twice {@code maxInboundMessage}
 */
public record GrpcLimits(int maxInboundMessage, int maxCallsPerConnection, int callQueue, Duration permitKeepAlive,
        Duration maxConnectionIdle, int maxHandles, int maxHandlesPerClient, int maxMappingsPerHandle,
        int maxConnections, int maxConnectionsPerSource, long payloadBudget) {

    /** The smallest {@code maxInboundMessage}: one full data chunk and room for its header. */
    public static final int MIN_INBOUND_MESSAGE = Transfers.MAX_CHUNK + 64 * 1024;

    /** Default connection caps (docs/nbd.md's worst-case memory: each call of each connection may hold its 8 MiB stream window). */
    public static final int DEFAULT_MAX_CONNECTIONS = 64;
    public static final int DEFAULT_MAX_CONNECTIONS_PER_SOURCE = 32;

    /**
     * Default payload budget: 256 MiB, a 2 MiB share per connection slot (a largest message and a
     * Read chunk) and a 128 MiB pool, about 120 messages in flight beyond the shares; the 16
     * workers need 16 at a time (docs/nbd.md's worst-case memory).
     */
    public static final long DEFAULT_PAYLOAD_BUDGET = 256L << 20;

    public static final GrpcLimits DEFAULTS = new GrpcLimits(MIN_INBOUND_MESSAGE, 128, 1024, Duration.ofSeconds(10),
            Duration.ZERO, 4096, 256, 1024, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_CONNECTIONS_PER_SOURCE,
            DEFAULT_PAYLOAD_BUDGET);

    /** The limits with the default payload budget. */
    public GrpcLimits(int maxInboundMessage, int maxCallsPerConnection, int callQueue, Duration permitKeepAlive,
            Duration maxConnectionIdle, int maxHandles, int maxHandlesPerClient, int maxMappingsPerHandle,
            int maxConnections, int maxConnectionsPerSource) {
        this(maxInboundMessage, maxCallsPerConnection, callQueue, permitKeepAlive, maxConnectionIdle, maxHandles,
                maxHandlesPerClient, maxMappingsPerHandle, maxConnections, maxConnectionsPerSource, DEFAULT_PAYLOAD_BUDGET);
    }

    /** The limits with the default connection caps. */
    public GrpcLimits(int maxInboundMessage, int maxCallsPerConnection, int callQueue, Duration permitKeepAlive,
            Duration maxConnectionIdle, int maxHandles, int maxHandlesPerClient, int maxMappingsPerHandle) {
        this(maxInboundMessage, maxCallsPerConnection, callQueue, permitKeepAlive, maxConnectionIdle, maxHandles,
                maxHandlesPerClient, maxMappingsPerHandle, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_CONNECTIONS_PER_SOURCE);
    }

    public GrpcLimits {
        if (maxInboundMessage < MIN_INBOUND_MESSAGE) {
            throw new IllegalArgumentException("the largest gRPC message must be at least " + MIN_INBOUND_MESSAGE
                    + " bytes (one data chunk and its header), got " + maxInboundMessage);
        }
        if (maxCallsPerConnection < 1 || callQueue < 0 || maxHandles < 1 || maxHandlesPerClient < 1
                || maxMappingsPerHandle < 1 || maxConnections < 1 || maxConnectionsPerSource < 1) {
            throw new IllegalArgumentException("gRPC limits must be at least 1 (the call queue at least 0)");
        }
        if (permitKeepAlive.isNegative() || maxConnectionIdle.isNegative()) {
            throw new IllegalArgumentException("gRPC durations must not be negative");
        }
        if (payloadBudget < 1 || !ShareSplit.of(payloadBudget, maxConnections).holds(maxInboundMessage)) {
            throw new IllegalArgumentException("the gRPC payload budget must be at least twice the largest message ("
                    + maxInboundMessage + " bytes), got " + payloadBudget);
        }
    }

    public GrpcLimits withCallQueue(int calls) {
        return new GrpcLimits(maxInboundMessage, maxCallsPerConnection, calls, permitKeepAlive, maxConnectionIdle,
                maxHandles, maxHandlesPerClient, maxMappingsPerHandle, maxConnections, maxConnectionsPerSource, payloadBudget);
    }

    public GrpcLimits withHandles(int total, int perClient, int mappingsPerHandle) {
        return new GrpcLimits(maxInboundMessage, maxCallsPerConnection, callQueue, permitKeepAlive, maxConnectionIdle,
                total, perClient, mappingsPerHandle, maxConnections, maxConnectionsPerSource, payloadBudget);
    }

    public GrpcLimits withConnection(int maxMessage, int callsPerConnection, Duration keepAlive, Duration idle) {
        return new GrpcLimits(maxMessage, callsPerConnection, callQueue, keepAlive, idle, maxHandles,
                maxHandlesPerClient, maxMappingsPerHandle, maxConnections, maxConnectionsPerSource, payloadBudget);
    }

    public GrpcLimits withPayloadBudget(long bytes) {
        return new GrpcLimits(maxInboundMessage, maxCallsPerConnection, callQueue, permitKeepAlive, maxConnectionIdle,
                maxHandles, maxHandlesPerClient, maxMappingsPerHandle, maxConnections, maxConnectionsPerSource, bytes);
    }

    public GrpcLimits withConnections(int total, int perSource) {
        return new GrpcLimits(maxInboundMessage, maxCallsPerConnection, callQueue, permitKeepAlive, maxConnectionIdle,
                maxHandles, maxHandlesPerClient, maxMappingsPerHandle, total, perSource, payloadBudget);
    }
}
