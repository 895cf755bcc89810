package io.blockhaus.s3.stripes;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The byte ranges of one object written since it was staged, for an image staged without
 * fetching the object it changes (deferred read-modify-write, {@link StagingTable}): only
 * these bytes of the image are true; the rest are still the store's. Disjoint, non-adjacent
 * ranges, merged as they are added, so a sequential writer's object is one range however many
 * writes made it. Not thread-safe: guarded by the staging lock, like the entry that holds it.
 */
final class WrittenRanges {
    /** A range {@code [from, to)} of the object, in bytes. */
    record Range(int from, int to) {
    }

    private final TreeMap<Integer, Integer> ranges = new TreeMap<>(); // from -> to

    /** Marks {@code [from, to)} written, merging it with every range it touches or overlaps. */
    void add(int from, int to) {
        if (from >= to) {
            return;
        }
        Map.Entry<Integer, Integer> before = ranges.floorEntry(from);
        if (before != null && before.getValue() >= from) {
            from = before.getKey();
            to = Math.max(to, before.getValue());
        }
        for (Map.Entry<Integer, Integer> next; (next = ranges.ceilingEntry(from)) != null && next.getKey() <= to; ) {
            to = Math.max(to, next.getValue());
            ranges.remove(next.getKey());
        }
        ranges.put(from, to);
    }

    /** Whether every byte of {@code [0, length)} is written. */
    boolean coversPrefix(int length) {
        if (length <= 0) {
            return true;
        }
        Map.Entry<Integer, Integer> first = ranges.firstEntry();
        return first != null && first.getKey() == 0 && first.getValue() >= length;
    }

    /** The parts of {@code [from, to)} not written, in order. */
    List<Range> gaps(int from, int to) {
        List<Range> out = new ArrayList<>();
        int pos = from;
        Map.Entry<Integer, Integer> before = ranges.floorEntry(from);
        if (before != null && before.getValue() > pos) {
            pos = before.getValue();
        }
        for (Map.Entry<Integer, Integer> r : ranges.tailMap(from, false).entrySet()) {
            if (pos >= to || r.getKey() >= to) {
                break;
            }
            if (r.getKey() > pos) {
                out.add(new Range(pos, r.getKey()));
            }
            pos = Math.max(pos, r.getValue());
        }
        if (pos < to) {
            out.add(new Range(pos, to));
        }
        return out;
    }
}
