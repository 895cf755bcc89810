package io.blockhaus.grpc;

import io.grpc.Attributes;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerTransportFilter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Who owns a handle, and when an owner has vanished. A client is named by the
 * {@value #HEADER} header its library sends (so its handles outlive a reconnect), or else by its
 * connection. A client is alive while any connection it called on is open (HTTP/2 keep-alive
 * pings close the connection of a peer that stopped answering) and for the lease after the last
 * one closed; past that, {@link #expire} names it and the server closes its handles, which unmaps
 * their mappings, so the pages they pinned become evictable.
 */
final class Leases {
    static final String HEADER = "blockhaus-client";
    static final Metadata.Key<String> CLIENT_HEADER = Metadata.Key.of(HEADER, Metadata.ASCII_STRING_MARSHALLER);
    static final Context.Key<String> CLIENT = Context.key("blockhaus-client");
    private static final Attributes.Key<Long> CONNECTION = Attributes.Key.create("blockhaus-connection");

    private static final class Client {
        long lastSeen;
        int connections;
    }

    private final long leaseNanos;
    private final LongSupplier clock;
    private final AtomicLong connectionIds = new AtomicLong();
    private final Map<String, Client> clients = new HashMap<>(); // guarded by this
    private final Map<Long, Set<String>> byConnection = new HashMap<>(); // guarded by this

    Leases(long leaseNanos, LongSupplier clock) {
        this.leaseNanos = leaseNanos;
        this.clock = clock;
    }

    /** Numbers each connection, and ends the liveness it gave its clients when it closes. */
    ServerTransportFilter transportFilter() {
        return new ServerTransportFilter() {
            @Override
            public Attributes transportReady(Attributes attrs) {
                return attrs.toBuilder().set(CONNECTION, connectionIds.incrementAndGet()).build();
            }

            @Override
            public void transportTerminated(Attributes attrs) {
                Long id = attrs == null ? null : attrs.get(CONNECTION);
                if (id != null) {
                    connectionClosed(id);
                }
            }
        };
    }

    /** Names every call's client in the context ({@link #CLIENT}) and counts it as seen. */
    ServerInterceptor interceptor() {
        return new ServerInterceptor() {
            @Override
            public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
                    ServerCallHandler<Q, A> next) {
                Long conn = call.getAttributes().get(CONNECTION);
                String id = headers.get(CLIENT_HEADER);
                if (id == null || id.isEmpty()) {
                    id = "connection-" + (conn == null ? 0 : conn);
                }
                seen(id, conn);
                return Contexts.interceptCall(Context.current().withValue(CLIENT, id), call, headers, next);
            }
        };
    }

    /** The calling client, for a call running under {@link #interceptor}; "" outside one. */
    static String currentClient() {
        String id = CLIENT.get();
        return id == null ? "" : id;
    }

    synchronized void seen(String id, Long connection) {
        Client c = clients.computeIfAbsent(id, k -> new Client());
        c.lastSeen = clock.getAsLong();
        if (connection != null && byConnection.computeIfAbsent(connection, k -> new HashSet<>()).add(id)) {
            c.connections++;
        }
    }

    synchronized void connectionClosed(long connection) {
        Set<String> ids = byConnection.remove(connection);
        if (ids == null) {
            return;
        }
        long now = clock.getAsLong();
        for (String id : ids) {
            Client c = clients.get(id);
            if (c != null) {
                c.connections--;
                c.lastSeen = now;
            }
        }
    }

    /** Forgets and returns every client with no open connection and not seen for the lease. */
    synchronized List<String> expire() {
        long now = clock.getAsLong();
        List<String> gone = new ArrayList<>();
        for (Iterator<Map.Entry<String, Client>> it = clients.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Client> e = it.next();
            if (e.getValue().connections <= 0 && now - e.getValue().lastSeen > leaseNanos) {
                gone.add(e.getKey());
                it.remove();
            }
        }
        return gone;
    }
}
