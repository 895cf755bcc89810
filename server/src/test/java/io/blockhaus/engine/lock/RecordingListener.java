package io.blockhaus.engine.lock;

import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/** Records every event; {@code timed} chooses whether the lock should measure times for it. */
final class RecordingListener implements LockListener {
    record Event(String kind, LockMode mode, LockPolicy policy, long nanos, boolean contended, LockOutcome outcome) {
        /** The event without its time, for exact comparisons. */
        String shape() {
            return kind + " " + mode + " " + policy + (kind.equals("acquired") ? " contended=" + contended : "")
                    + (outcome != null ? " " + outcome : "");
        }
    }

    private final boolean timed;
    private final ConcurrentLinkedQueue<Event> events = new ConcurrentLinkedQueue<>();

    RecordingListener(boolean timed) {
        this.timed = timed;
    }

    @Override
    public void acquired(LockMode mode, LockPolicy policy, long waitNanos, boolean contended) {
        events.add(new Event("acquired", mode, policy, waitNanos, contended, null));
    }

    @Override
    public void released(LockMode mode, LockPolicy policy, long holdNanos) {
        events.add(new Event("released", mode, policy, holdNanos, false, null));
    }

    @Override
    public void failed(LockMode mode, LockPolicy policy, long waitNanos, LockOutcome outcome) {
        events.add(new Event("failed", mode, policy, waitNanos, false, outcome));
    }

    @Override
    public boolean timed() {
        return timed;
    }

    List<Event> events() {
        return List.copyOf(events);
    }

    List<String> shapes() {
        return events.stream().map(Event::shape).toList();
    }

    void clear() {
        events.clear();
    }
}
