package io.blockhaus.nbd.interop;

import com.sun.management.GarbageCollectionNotificationInfo;
import com.sun.management.GcInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.management.ListenerNotFoundException;
import javax.management.Notification;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

/**
 * The garbage collector's pauses of this JVM while open, as wall-clock intervals, from the
 * collectors' notifications (G1's young and mixed collections, and its Remark and Cleanup pauses).
 * For a latency test of a server that runs in this JVM: a pause stops every thread, with or without
 * the load the test is about, so the test can tell a request that waited for it from one that
 * waited for what it tests ({@link SlowDiskInteropTest}). Millisecond precision.
 */
final class GcPauses implements AutoCloseable {
    private final long jvmStart = ManagementFactory.getRuntimeMXBean().getStartTime();
    private final List<long[]> pauses = new CopyOnWriteArrayList<>();
    private final List<NotificationEmitter> emitters = new ArrayList<>();
    private final NotificationListener listener = this::notified;

    GcPauses() {
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (gc instanceof NotificationEmitter e) {
                e.addNotificationListener(listener, null, null);
                emitters.add(e);
            }
        }
    }

    private void notified(Notification n, Object handback) {
        if (n.getType().equals(GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION)) {
            GcInfo gc = GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData()).getGcInfo();
            pauses.add(new long[] {jvmStart + gc.getStartTime(), jvmStart + gc.getEndTime()});
        }
    }

    /** Milliseconds of {@code [startMillis, endMillis]} (wall clock) during which a pause stopped the JVM. */
    double overlap(double startMillis, double endMillis) {
        double paused = 0;
        for (long[] p : pauses) {
            paused += Math.max(0, Math.min(endMillis, p[1]) - Math.max(startMillis, p[0]));
        }
        return paused;
    }

    /** The pauses seen, as {@code [start, end]} in epoch milliseconds. */
    List<long[]> pauses() {
        return List.copyOf(pauses);
    }

    @Override
    public void close() {
        for (NotificationEmitter e : emitters) {
            try {
                e.removeNotificationListener(listener);
            } catch (ListenerNotFoundException ignored) {
                // added in the constructor; nothing to undo
            }
        }
    }
}
