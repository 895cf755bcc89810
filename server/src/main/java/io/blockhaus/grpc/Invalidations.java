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

    private record Range(String mapping, long offset, long length, long sequence) {
    }

    private final ArrayDeque<Range> queue = new ArrayDeque<>();
    private final Map<String, Long> mappingLengths = new HashMap<>();
    private long sequence; // the last one given out

    /**
     * Records that bytes {@code [offset, offset+length)} of {@code mapping} (of
     * {@code mappingLength} bytes) left it, and returns its sequence number: the client's
     * acknowledgement of that number (or a later one) says it has dropped those pages. Numbers and
     * queue order agree, since both are taken here under one monitor.
     */
    synchronized long add(String mapping, long mappingLength, long offset, long length) {
        long seq = ++sequence;
        mappingLengths.put(mapping, mappingLength);
        Range last = queue.peekLast();
        if (last != null && last.mapping().equals(mapping) && last.offset() + last.length() == offset) {
            // The extended range carries the newer number: acknowledging it covers both.
            queue.pollLast();
            queue.addLast(new Range(mapping, last.offset(), last.length() + length, seq));
            return seq;
        }
        if (queue.size() >= MAX_RANGES) {
            collapse();
        }
        queue.addLast(new Range(mapping, offset, length, seq));
        return seq;
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
        return Invalidation.newBuilder().setMapping(r.mapping()).setOffset(r.offset()).setLength(r.length())
                .setSequence(r.sequence()).build();
    }

    synchronized int size() {
        return queue.size();
    }

    /**
     * Replaces every queued range by one whole-mapping range per mapping. Only the last carries a
     * sequence number (the newest queued); the others carry 0, which clients do not acknowledge:
     * acknowledgements are cumulative, and the stream is in order, so the last one's covers all.
     */
    private void collapse() {
        long newest = queue.peekLast().sequence();
        List<String> mappings = new ArrayList<>();
        for (Range r : queue) {
            if (!mappings.contains(r.mapping())) {
                mappings.add(r.mapping());
            }
        }
        queue.clear();
        mappingLengths.keySet().retainAll(mappings);
        for (int i = 0; i < mappings.size(); i++) {
            String m = mappings.get(i);
            queue.addLast(new Range(m, 0, mappingLengths.get(m), i == mappings.size() - 1 ? newest : 0));
        }
    }
}
