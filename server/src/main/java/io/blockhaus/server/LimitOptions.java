package io.blockhaus.server;

import io.blockhaus.grpc.GrpcLimits;
import io.blockhaus.nbd.NbdConnectionLimits;
import io.blockhaus.nbd.NbdServerConfig;
import io.blockhaus.nbd.codec.NbdLimits;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * The {@code serve} options that bound what one client may ask of the server (docs/configuration.md,
 * "Limits"). Each has a default a well-behaved client never meets; past it that client's
 * connection or call is refused, counted in {@code blockhaus.frontend.refused} and logged at
 * most once per reason per ten seconds.
 */
final class LimitOptions {

    @Option(names = "--nbd-max-connections", paramLabel = "N", defaultValue = "256",
            description = "NBD connections open at once, server-wide; more are closed at accept.")
    int nbdMaxConnections;

    @Option(names = "--nbd-max-connections-per-source", paramLabel = "N", defaultValue = "64",
            description = "NBD connections open at once from one source address; more are closed at accept.")
    int nbdMaxPerSource;

    @Option(names = "--nbd-handshake-timeout", paramLabel = "DURATION", defaultValue = "10s",
            converter = OptionConverters.DurationConverter.class,
            description = "A client must finish the NBD handshake within this (the whole handshake, not per"
                    + " byte: a client trickling bytes is dropped too): 100ms to 10m.")
    Duration nbdHandshakeTimeout;

    @Option(names = "--nbd-idle-timeout", paramLabel = "DURATION", defaultValue = "0s",
            converter = OptionConverters.DurationConverter.class,
            description = "Close an NBD connection with no request and nothing in flight for this long;"
                    + " 0s (default) never: kernel clients stay connected to an idle disk for days.")
    Duration nbdIdleTimeout;

    @Option(names = "--nbd-max-request", paramLabel = "SIZE", defaultValue = "32M",
            converter = OptionConverters.SizeConverter.class,
            description = "Largest NBD READ or WRITE (advertised as the maximum block size; larger ones are"
                    + " refused with EINVAL / EOVERFLOW): 4K to 32M.")
    long nbdMaxRequest;

    @Option(names = "--grpc-max-message", paramLabel = "SIZE", defaultValue = "1088K",
            converter = OptionConverters.SizeConverter.class,
            description = "Largest gRPC request message (RESOURCE_EXHAUSTED past it): at least 1088K (a 1 MiB"
                    + " data chunk and its header), at most 64M.")
    long grpcMaxMessage;

    @Option(names = "--grpc-max-calls-per-connection", paramLabel = "N", defaultValue = "128",
            description = "gRPC calls in flight on one connection (HTTP/2 MAX_CONCURRENT_STREAMS; the client waits for a slot).")
    int grpcMaxCallsPerConnection;

    @Option(names = "--grpc-call-queue", paramLabel = "N", defaultValue = "1024",
            description = "gRPC calls that may wait for a worker thread, server-wide; a call past it gets RESOURCE_EXHAUSTED at once.")
    int grpcCallQueue;

    @Option(names = "--grpc-permit-keepalive", paramLabel = "DURATION", defaultValue = "10s",
            converter = OptionConverters.DurationConverter.class,
            description = "Least time between a client's keep-alive pings; a client pinging more often is disconnected (GOAWAY).")
    Duration grpcPermitKeepAlive;

    @Option(names = "--grpc-max-connection-idle", paramLabel = "DURATION", defaultValue = "0s",
            converter = OptionConverters.DurationConverter.class,
            description = "Close a gRPC connection with no call for this long; 0s (default) never. Closing starts"
                    + " the client's lease, so keep it well above how long clients hold handles idle.")
    Duration grpcMaxConnectionIdle;

    @Option(names = "--grpc-max-connections", paramLabel = "N", defaultValue = "64",
            description = "gRPC connections open at once, server-wide; more are closed at accept. Each call of each"
                    + " may make the server buffer its 8 MiB HTTP/2 stream window (docs/nbd.md).")
    int grpcMaxConnections;

    @Option(names = "--grpc-max-connections-per-source", paramLabel = "N", defaultValue = "32",
            description = "gRPC connections open at once from one source address; more are closed at accept.")
    int grpcMaxConnectionsPerSource;

    @Option(names = "--grpc-payload-budget", paramLabel = "SIZE", defaultValue = "256M",
            converter = OptionConverters.SizeConverter.class,
            description = "Bytes of gRPC request messages and Read reply chunks all connections together may hold;"
                    + " past it calls wait (flow control). Half is split over --grpc-max-connections slots; at least"
                    + " twice --grpc-max-message.")
    long grpcPayloadBudget;

    @Option(names = "--grpc-max-handles", paramLabel = "N", defaultValue = "4096",
            description = "gRPC handles open at once, server-wide.")
    int grpcMaxHandles;

    @Option(names = "--grpc-max-handles-per-client", paramLabel = "N", defaultValue = "256",
            description = "gRPC handles one client holds open at once.")
    int grpcMaxHandlesPerClient;

    @Option(names = "--grpc-max-mappings-per-handle", paramLabel = "N", defaultValue = "1024",
            description = "Mappings one gRPC handle holds at once.")
    int grpcMaxMappingsPerHandle;

    /** {@code base} with the NBD connection cap, handshake deadline and largest request from the options. */
    NbdServerConfig applyTo(NbdServerConfig base) {
        if (nbdMaxRequest < 4096 || nbdMaxRequest > NbdLimits.DEFAULT_MAX_PAYLOAD) {
            throw new IllegalArgumentException("--nbd-max-request: need 4K to 32M, got " + SizeParser.format(nbdMaxRequest));
        }
        if (nbdHandshakeTimeout.compareTo(Duration.ofMillis(100)) < 0 || nbdHandshakeTimeout.compareTo(Duration.ofMinutes(10)) > 0) {
            throw new IllegalArgumentException("--nbd-handshake-timeout: need 100ms to 10m, got "
                    + OptionConverters.DurationConverter.format(nbdHandshakeTimeout));
        }
        if (nbdMaxConnections < 1) {
            throw new IllegalArgumentException("--nbd-max-connections: need at least 1, got " + nbdMaxConnections);
        }
        return base.withClientLimits(nbdMaxConnections, nbdHandshakeTimeout, (int) nbdMaxRequest);
    }

    NbdConnectionLimits nbdConnectionLimits() {
        try {
            return new NbdConnectionLimits(nbdMaxPerSource, nbdIdleTimeout);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--nbd-max-connections-per-source / --nbd-idle-timeout: " + e.getMessage(), e);
        }
    }

    GrpcLimits grpcLimits() {
        if (grpcMaxMessage > 64L << 20) {
            throw new IllegalArgumentException("--grpc-max-message: at most 64M, got " + SizeParser.format(grpcMaxMessage));
        }
        try {
            return new GrpcLimits((int) grpcMaxMessage, grpcMaxCallsPerConnection, grpcCallQueue, grpcPermitKeepAlive,
                    grpcMaxConnectionIdle, grpcMaxHandles, grpcMaxHandlesPerClient, grpcMaxMappingsPerHandle,
                    grpcMaxConnections, grpcMaxConnectionsPerSource, grpcPayloadBudget);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("gRPC limits: " + e.getMessage(), e);
        }
    }

    /** Every limit checked, so a bad value stops start-up with a usage error (exit 2). */
    void check() {
        applyTo(NbdServerConfig.defaults(new java.net.InetSocketAddress(0)));
        nbdConnectionLimits();
        grpcLimits();
    }
}
