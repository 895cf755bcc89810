package io.blockhaus.grpc;

import io.blockhaus.engine.Handle;
import io.blockhaus.engine.Mapping;
import io.blockhaus.limits.RefusalReason;
import io.blockhaus.limits.Refusals;
import io.blockhaus.limits.UntrustedText;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Every handle gRPC clients hold open on this server, by resource name. Bounded server-wide:
 * each handle holds readahead state and may pin mapped pages, and a client's numbers must not
 * make the server hold without bound (DESIGN.md, "Memory").
 */
final class HandleTable {
    private final int maxHandles;
    private final int maxPerClient;
    private final int maxMappings;
    private final Refusals refusals;
    private final Map<String, OpenHandle> handles = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private final long recallNanos;

    /**
     * {@code recallNanos}: how long an operation waits for a handle's acknowledgement before
     * revoking its mapping; refusals past a bound are counted in {@code refusals}.
     */
    HandleTable(GrpcLimits limits, long recallNanos, Refusals refusals) {
        this.maxHandles = limits.maxHandles();
        this.maxPerClient = limits.maxHandlesPerClient();
        this.maxMappings = limits.maxMappingsPerHandle();
        this.refusals = refusals;
        this.recallNanos = recallNanos;
    }

    /** Registers an engine handle owned by {@code client}; closes it and fails past either bound. */
    synchronized OpenHandle open(String volumeId, Handle engineHandle, String client) {
        if (handles.size() >= maxHandles) {
            engineHandle.close();
            refusals.refused(RefusalReason.HANDLES, "client " + client + ": the server has " + maxHandles + " handles open");
            throw RequestException.tooMany("the server already has " + maxHandles + " gRPC handles open; close some");
        }
        if (handles.values().stream().filter(h -> h.owner().equals(client)).count() >= maxPerClient) {
            engineHandle.close();
            refusals.refused(RefusalReason.HANDLES, "client " + client + " has " + maxPerClient + " handles open");
            throw RequestException.tooMany("client " + client + " already has " + maxPerClient + " handles open; close some");
        }
        String name = ResourceNames.handle(volumeId, ids.incrementAndGet());
        OpenHandle h = new OpenHandle(name, volumeId, engineHandle, ids, client, recallNanos, maxMappings,
                refusals);
        handles.put(name, h);
        return h;
    }

    OpenHandle get(String name) {
        OpenHandle h = handles.get(name);
        if (h == null) {
            throw RequestException.notFound("no open handle " + UntrustedText.quote(name));
        }
        return h;
    }

    /** The engine's mapping named by a MappingBuffer (the mapping may belong to any open handle). */
    Mapping mapping(String mappingName) {
        return get(ResourceNames.handleOfMapping(mappingName)).mapping(mappingName);
    }

    void close(String name) {
        OpenHandle h = handles.remove(name);
        if (h == null) {
            throw RequestException.notFound("no open handle " + UntrustedText.quote(name));
        }
        h.close();
    }

    /** Closes every handle (server shutdown, or a volume deleted by force). */
    void closeAll(String volumeIdOrNull) {
        for (OpenHandle h : List.copyOf(handles.values())) {
            if (volumeIdOrNull == null || h.volumeId().equals(volumeIdOrNull)) {
                if (handles.remove(h.name(), h)) {
                    h.close();
                }
            }
        }
    }

    /** Closes every handle {@code client} owns (its lease ran out); returns how many. */
    int closeOwnedBy(String client) {
        int n = 0;
        for (OpenHandle h : List.copyOf(handles.values())) {
            if (h.owner().equals(client) && handles.remove(h.name(), h)) {
                h.close();
                n++;
            }
        }
        return n;
    }

    int size() {
        return handles.size();
    }
}
