package io.blockhaus.grpc;

import io.blockhaus.engine.Handle;
import io.blockhaus.engine.Mapping;
import io.blockhaus.engine.Recall;
import io.blockhaus.engine.call.CallBudget;
import io.blockhaus.limits.RefusalReason;
import io.blockhaus.limits.Refusals;
import io.blockhaus.limits.UntrustedText;
import io.blockhaus.proto.v1.Invalidation;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * One handle a gRPC client opened: the engine's handle, its mappings by name, and the Watch
 * stream (at most one; a new Watch replaces the old, which is completed) that hears their
 * invalidations.
 */
final class OpenHandle {
    private final String name;
    private final String volumeId;
    private final Handle handle;
    private final Map<String, Mapping> mappings = new ConcurrentHashMap<>();
    private final Invalidations invalidations = new Invalidations();
    private final AtomicLong nextMapping;
    private final String owner;
    private volatile WatchStream watch;
    /** The highest sequence the client acknowledged. */
    private final AtomicLong acked = new AtomicLong();
    /** Operations waiting for an acknowledgement; unparked by each one, and by close. */
    private final ConcurrentLinkedQueue<Thread> ackWaiters = new ConcurrentLinkedQueue<>();
    private volatile boolean closed;
    private final java.util.Set<String> revoked = ConcurrentHashMap.newKeySet();
    private final long recallNanos;
    private final int maxMappings; // mappings held at once: each pins the pages it maps
    private final Refusals refusals;

    OpenHandle(String name, String volumeId, Handle handle, AtomicLong ids, String owner, long recallNanos,
            int maxMappings, Refusals refusals) {
        this.maxMappings = maxMappings;
        this.refusals = refusals;
        this.owner = owner;
        this.recallNanos = recallNanos;
        this.name = name;
        this.volumeId = volumeId;
        this.handle = handle;
        this.nextMapping = ids;
    }

    String name() {
        return name;
    }

    /** The client whose lease keeps this handle open. */
    String owner() {
        return owner;
    }

    String volumeId() {
        return volumeId;
    }

    Handle engine() {
        return handle;
    }

    /** Maps a range; its invalidations are queued for this handle's Watch stream. */
    synchronized String map(long offset, long length, boolean writable) {
        if (mappings.size() >= maxMappings) {
            refusals.refused(RefusalReason.MAPPINGS, "client " + owner + ": handle " + name + " has " + maxMappings + " mappings");
            throw RequestException.tooMany("handle " + name + " already has " + maxMappings + " mappings; unmap some");
        }
        String mappingName = ResourceNames.mapping(name, nextMapping.incrementAndGet());
        int pageSize = handle.volume().pageSize();
        Mapping m = handle.map(offset, length, writable, (mapping, firstPage, endPage) -> {
            long seq = invalidations.add(mappingName, mapping.length(), firstPage * pageSize - mapping.offset(),
                    (endPage - firstPage) * pageSize);
            WatchStream w = watch;
            if (w != null) {
                w.signal();
            }
            return new Acknowledgement(this, seq, mappingName, System.nanoTime() + recallNanos);
        });
        mappings.put(mappingName, m);
        return mappingName;
    }

    Mapping mapping(String mappingName) {
        Mapping m = mappings.get(mappingName);
        if (m == null) {
            throw missing(mappingName);
        }
        return m;
    }

    void unmap(String mappingName) {
        Mapping m = mappings.remove(mappingName);
        if (m == null) {
            throw missing(mappingName);
        }
        m.close();
    }

    private RequestException missing(String mappingName) {
        if (revoked.contains(mappingName)) {
            return RequestException.stale("mapping " + mappingName + " was revoked: it did not acknowledge an"
                    + " invalidation within the recall timeout; map the range again");
        }
        return RequestException.notFound("no mapping " + UntrustedText.quote(mappingName));
    }

    /**
     * How the engine operation that invalidated {@code mapping} (sequence {@code sequence} of
     * this handle) completes its recall: it waits for the client's acknowledgement over Watch
     * until {@code deadline} (System.nanoTime: the invalidation's time plus the recall timeout,
     * so however many handles an operation recalls, a dead client delays it by at most the
     * timeout), then revokes the mapping: its next use answers ESTALE and the client maps again.
     * The operation's call ({@link CallBudget}) shortens that: past its deadline, or once it is
     * cancelled, the mapping is revoked at once (the operation has happened; revoking keeps
     * every mapping from showing its old bytes after the operation's thread leaves).
     */
    private record Acknowledgement(OpenHandle handle, long sequence, String mapping, long deadline) implements Recall {
        @Override
        public void complete() {
            complete(CallBudget.NONE);
        }

        @Override
        public void complete(CallBudget call) {
            if (!handle.awaitAck(sequence, deadline, call)) {
                handle.revoke(mapping);
            }
        }
    }

    /** The client has dropped every invalidated page up to {@code sequence}. Never blocks (a transport thread calls it). */
    void ack(long sequence) {
        if (acked.accumulateAndGet(sequence, Math::max) == sequence) {
            wakeAckWaiters();
        }
    }

    private void wakeAckWaiters() {
        for (Thread t : ackWaiters) {
            LockSupport.unpark(t);
        }
    }

    /**
     * Waits until {@code sequence} is acknowledged, {@code deadline} (System.nanoTime) passes, or
     * {@code call} ends (its deadline, or its cancellation, which unparks us). No lost wake-up:
     * a waiter is listed before it reads {@link #acked}, an acknowledgement is recorded before
     * the list is walked (both volatile), so one of them sees the other.
     */
    boolean awaitAck(long sequence, long deadline, CallBudget call) {
        Thread me = Thread.currentThread();
        ackWaiters.add(me);
        try (CallBudget.Registration wake = call.wakeOnCancel()) {
            while (acked.get() < sequence && !closed) {
                long left = Math.min(deadline - System.nanoTime(), call.remainingNanos());
                if (left <= 0 || me.isInterrupted()) {
                    return false;
                }
                LockSupport.parkNanos(this, left);
            }
            return true; // acknowledged, or the handle closed (its mappings with it)
        } finally {
            ackWaiters.remove(me);
        }
    }

    /** Unmaps a mapping that did not acknowledge in time; its name answers ESTALE from now on. */
    void revoke(String mappingName) {
        Mapping m = mappings.remove(mappingName);
        if (m != null) {
            if (revoked.size() >= maxMappings) {
                revoked.clear(); // old revocations answer ENOENT instead of ESTALE: both say "map again"
            }
            revoked.add(mappingName);
            m.close();
        }
    }

    /** Starts a Watch stream for this handle, ending any earlier one. */
    void watch(ServerCallStreamObserver<Invalidation> observer, Executor notifier) {
        WatchStream old;
        WatchStream w = new WatchStream(observer, invalidations, notifier);
        synchronized (this) {
            old = watch;
            watch = w;
        }
        if (old != null) {
            old.complete();
        }
        w.drain();
    }

    /** Unmaps everything, closes the engine's handle and ends the Watch stream. */
    void close() {
        closed = true;
        wakeAckWaiters();
        try {
            mappings.clear();
            handle.close();
        } finally {
            WatchStream w = watch;
            if (w != null) {
                w.complete();
            }
        }
    }
}
