package io.blockhaus.grpc;

import io.blockhaus.proto.v1.Invalidation;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The invalidations of one handle's mappings not yet sent on its Watch stream, batched by range:
 * the engine reports page by page (with the page lock held, so {@link #add} only records), and a
 * page that extends the last queued range of the same mapping extends that range instead of
 * queueing another. The queue is bounded: past {@value #MAX_RANGES} ranges (a watcher that does
 * not read) every mapping with queued ranges is invalidated whole instead, which is always safe,
 * since a client only has to fault again.
 */
final class Invalidations {
    static final int MAX_RANGES = 1024;

    private record Range(String mapping, long offset, long length) {
    }

    private final ArrayDeque<Range> queue = new ArrayDeque<>();
    private final Map<String, Long> mappingLengths = new HashMap<>();

    /** Records that bytes {@code [offset, offset+length)} of {@code mapping} (of {@code mappingLength} bytes) left it. */
    synchronized void add(String mapping, long mappingLength, long offset, long length) {
        mappingLengths.put(mapping, mappingLength);
        Range last = queue.peekLast();
        if (last != null && last.mapping().equals(mapping) && last.offset() + last.length() == offset) {
            queue.pollLast();
            queue.addLast(new Range(mapping, last.offset(), last.length() + length));
            return;
        }
        if (queue.size() >= MAX_RANGES) {
            collapse();
        }
        queue.addLast(new Range(mapping, offset, length));
    }

    /** The next batch to send, or null when nothing is queued. */
    synchronized Invalidation poll() {
        Range r = queue.pollFirst();
        if (r == null) {
            return null;
        }
        if (queue.isEmpty()) {
            mappingLengths.clear(); // only mappings with queued ranges are remembered
        }
        return Invalidation.newBuilder().setMapping(r.mapping()).setOffset(r.offset()).setLength(r.length()).build();
    }

    synchronized int size() {
        return queue.size();
    }

    /** Replaces every queued range by one whole-mapping range per mapping. */
    private void collapse() {
        List<String> mappings = new ArrayList<>();
        for (Range r : queue) {
            if (!mappings.contains(r.mapping())) {
                mappings.add(r.mapping());
            }
        }
        queue.clear();
        mappingLengths.keySet().retainAll(mappings);
        for (String m : mappings) {
            queue.addLast(new Range(m, 0, mappingLengths.get(m)));
        }
    }
}
