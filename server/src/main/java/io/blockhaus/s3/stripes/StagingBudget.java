package io.blockhaus.s3.stripes;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Bytes of object images written but not yet stored, counted against a capacity: one per volume
 * ({@link StripedStoreOptions#maxBufferedBytes}) and optionally one shared by every s3 volume of
 * a server ({@link StripedStoreOptions#sharedBudget}), so the server's memory is bounded, not only
 * each volume's.
 *
 * <p>A taker past the capacity first asks every registered reliever (each volume's "start
 * uploading everything you staged") to make room, then waits until bytes are given back or its
 * deadline passes. Waiting happens on this budget's own lock, never while holding a volume's:
 * the uploads that give bytes back need the volume's lock to finish.
 *
 * <p>One grant is always allowed when nothing is taken, even past the capacity, so a capacity
 * smaller than one object slows a volume down to one object at a time instead of stopping it.
 */
public final class StagingBudget {
    private final long capacity;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition returned = lock.newCondition();
    private final Set<Runnable> relievers = ConcurrentHashMap.newKeySet();
    private long used;

    public StagingBudget(long capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("staging budget " + capacity + " < 1");
        }
        this.capacity = capacity;
    }

    public long capacity() {
        return capacity;
    }

    /** Bytes taken now. */
    public long used() {
        lock.lock();
        try {
            return used;
        } finally {
            lock.unlock();
        }
    }

    /** Takes {@code bytes} if they fit now, without asking anyone or waiting. */
    boolean tryTake(long bytes) {
        lock.lock();
        try {
            if (used != 0 && used + bytes > capacity) {
                return false;
            }
            used += bytes;
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Takes {@code bytes}, asking the relievers for room and waiting until {@code deadlineNanos}
     * ({@link System#nanoTime} scale) if they do not fit. False when the deadline passed first.
     */
    boolean take(long bytes, long deadlineNanos) throws InterruptedException {
        if (tryTake(bytes)) {
            return true;
        }
        relievers.forEach(Runnable::run);
        lock.lock();
        try {
            while (used != 0 && used + bytes > capacity) {
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                returned.awaitNanos(left);
            }
            used += bytes;
            return true;
        } finally {
            lock.unlock();
        }
    }

    void give(long bytes) {
        if (bytes == 0) {
            return;
        }
        lock.lock();
        try {
            used -= bytes;
            if (used < 0) {
                throw new IllegalStateException("staging budget gave back more than it lent: " + used);
            }
            returned.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** {@code reliever} is run (on a taker's thread, quickly) when a taker finds no room. */
    void register(Runnable reliever) {
        relievers.add(reliever);
    }

    void unregister(Runnable reliever) {
        relievers.remove(reliever);
    }

    @Override
    public String toString() {
        return "StagingBudget[" + used() + "/" + capacity + "]";
    }
}
