package io.blockhaus.s3.stripes;

import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The upload queue's own contract, with uploads and backoff delays run by hand (no clock, no
 * sleeping): bounded, in order, each begun upload answered exactly once, failures retried with
 * a doubling backoff except EROFS, nothing after close.
 */
class UploadQueueTest {
    private static final ObjectUpload.Outcome STORED = new ObjectUpload.Outcome(true, null);

    /** The owner's view of an item, as a staged entry would be: dirty until an upload of it succeeds. */
    static final class Item {
        final String name;
        final Deque<ObjectUpload.Outcome> script = new ArrayDeque<>(); // outcomes of its next uploads; then STORED
        boolean dirty = true;
        boolean changedDuringUpload;
        boolean inFlight;
        int begun;
        int abandoned;
        final List<ObjectUpload.Outcome> ended = new ArrayList<>();

        Item(String name) {
            this.name = name;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    private final ReentrantLock lock = new ReentrantLock();
    private final LinkedBlockingDeque<Runnable> uploads = new LinkedBlockingDeque<>();
    private final List<Delayed> delays = new ArrayList<>();
    private final List<String> started = new ArrayList<>();

    record Delayed(long nanos, Runnable task) {
    }

    private final UploadQueue.Owner<Item> owner = new UploadQueue.Owner<>() {
        @Override
        public boolean wanted(Item item) {
            assertThat(lock.isHeldByCurrentThread()).isTrue();
            return item.dirty && !item.inFlight;
        }

        @Override
        public Supplier<ObjectUpload.Outcome> begin(Item item) {
            assertThat(lock.isHeldByCurrentThread()).isTrue();
            assertThat(item.inFlight).as("one upload per item at a time").isFalse();
            item.inFlight = true;
            item.begun++;
            started.add(item.name);
            ObjectUpload.Outcome outcome = item.script.isEmpty() ? STORED : item.script.poll();
            return () -> outcome;
        }

        @Override
        public void abandon(Item item) {
            assertThat(item.inFlight).isTrue();
            item.inFlight = false;
            item.abandoned++;
        }

        @Override
        public void ended(Item item, ObjectUpload.Outcome outcome) {
            assertThat(lock.isHeldByCurrentThread()).isTrue();
            assertThat(item.inFlight).as("ended once per begin").isTrue();
            item.inFlight = false;
            item.ended.add(outcome);
            if (outcome.failure() == null) {
                item.dirty = item.changedDuringUpload;
                item.changedDuringUpload = false;
            }
        }
    };

    private UploadQueue<Item> queue(int limit) {
        return queue(limit, uploads::add);
    }

    private UploadQueue<Item> queue(int limit, Executor threads) {
        return new UploadQueue<>(lock, limit, threads, (nanos, task) -> delays.add(new Delayed(nanos, task)), owner);
    }

    private void offer(UploadQueue<Item> q, Item... items) {
        lock.lock();
        try {
            for (Item i : items) {
                q.offer(i);
            }
        } finally {
            lock.unlock();
        }
    }

    private int inFlight(UploadQueue<Item> q) {
        lock.lock();
        try {
            return q.inFlight();
        } finally {
            lock.unlock();
        }
    }

    /** Runs the oldest upload handed to the threads, on this thread (which holds no lock). */
    private void runNextUpload() {
        Runnable next = uploads.poll();
        assertThat(next).as("an upload was handed to the threads").isNotNull();
        next.run();
    }

    private void runAllUploads() {
        while (!uploads.isEmpty()) {
            runNextUpload();
        }
    }

    private void runDelay(int i) {
        delays.remove(i).task().run();
    }

    @Test
    void atMostTheLimitRunAndTheRestStartInTheOrderOffered() {
        UploadQueue<Item> q = queue(2);
        Item a = new Item("a"), b = new Item("b"), c = new Item("c"), d = new Item("d");
        offer(q, a, b, c, d);
        assertThat(started).containsExactly("a", "b");
        assertThat(inFlight(q)).isEqualTo(2);
        assertThat(uploads).hasSize(2);

        runNextUpload(); // a ends: c takes its place
        assertThat(started).containsExactly("a", "b", "c");
        assertThat(inFlight(q)).isEqualTo(2);
        runAllUploads();
        assertThat(started).containsExactly("a", "b", "c", "d");
        assertThat(inFlight(q)).isZero();
        for (Item i : List.of(a, b, c, d)) {
            assertThat(i.ended).containsExactly(STORED);
            assertThat(i.dirty).isFalse();
        }
    }

    @Test
    void anItemWaitsOnceHoweverOftenOfferedAndStartsOnlyIfStillWantedOnItsTurn() {
        UploadQueue<Item> q = queue(1);
        Item a = new Item("a"), b = new Item("b"), c = new Item("c");
        offer(q, a, b, b, c, b);
        assertThat(started).containsExactly("a");
        c.dirty = false; // stored some other way while it waited
        runAllUploads();
        assertThat(started).containsExactly("a", "b");
        assertThat(b.begun).isEqualTo(1);
        assertThat(c.begun).isZero();
        assertThat(c.ended).isEmpty();
    }

    @Test
    void anItemChangedDuringItsUploadGoesAgainAfterIt() {
        UploadQueue<Item> q = queue(4);
        Item a = new Item("a");
        offer(q, a);
        a.changedDuringUpload = true;
        offer(q, a); // in flight: not wanted now, so not queued twice
        assertThat(uploads).hasSize(1);
        runNextUpload();
        assertThat(started).containsExactly("a", "a");
        runAllUploads();
        assertThat(a.ended).hasSize(2);
        assertThat(a.dirty).isFalse();
    }

    @Test
    void aFailedUploadIsRetriedAfterADoublingBackoffAndASuccessClearsTheFailure() {
        UploadQueue<Item> q = queue(1);
        Item a = new Item("a");
        RuntimeException first = new RuntimeException("503 slow down");
        RuntimeException second = new RuntimeException("connection reset");
        a.script.add(new ObjectUpload.Outcome(false, first));
        a.script.add(new ObjectUpload.Outcome(false, second));
        offer(q, a);
        runNextUpload();
        assertThat(q.lastFailure()).isSameAs(first);
        assertThat(a.dirty).isTrue();
        assertThat(uploads).as("not retried before its backoff").isEmpty();
        assertThat(delays).extracting(Delayed::nanos).containsExactly(Retrying.FIRST_BACKOFF_NANOS);

        runDelay(0);
        runNextUpload();
        assertThat(q.lastFailure()).isSameAs(second);
        assertThat(delays).extracting(Delayed::nanos).containsExactly(2 * Retrying.FIRST_BACKOFF_NANOS);

        runDelay(0);
        runNextUpload();
        assertThat(q.lastFailure()).isNull();
        assertThat(a.dirty).isFalse();
        assertThat(a.begun).isEqualTo(3);
        assertThat(delays).isEmpty();

        Item b = new Item("b");
        b.script.add(new ObjectUpload.Outcome(false, first));
        offer(q, b);
        runNextUpload();
        assertThat(delays).extracting(Delayed::nanos).as("the success reset the backoff")
                .containsExactly(Retrying.FIRST_BACKOFF_NANOS);
    }

    @Test
    void erofsIsNotRetriedAndTheItemStaysDirty() {
        UploadQueue<Item> q = queue(1);
        Item a = new Item("a");
        ErrnoException fenced = new ErrnoException(Errno.EROFS, "fenced");
        a.script.add(new ObjectUpload.Outcome(true, fenced));
        offer(q, a);
        runNextUpload();
        assertThat(delays).isEmpty();
        assertThat(uploads).isEmpty();
        assertThat(q.lastFailure()).isSameAs(fenced);
        assertThat(a.dirty).isTrue();
        assertThat(a.ended).hasSize(1);
    }

    @Test
    void afterCloseNothingStartsNoEndIsReportedAndNoRetryIsOffered() {
        UploadQueue<Item> q = queue(1);
        Item a = new Item("a"), b = new Item("b"), c = new Item("c");
        a.script.add(new ObjectUpload.Outcome(false, new RuntimeException("down")));
        offer(q, a);
        runNextUpload(); // a failed: a retry is pending
        offer(q, b, c); // b in flight, c waiting
        lock.lock();
        try {
            q.close();
        } finally {
            lock.unlock();
        }
        runNextUpload(); // b ends after close
        runDelay(0); // a's retry fires after close
        offer(q, new Item("d"));
        assertThat(b.ended).as("the owner took its items back at close").isEmpty();
        assertThat(started).containsExactly("a", "b");
        assertThat(uploads).isEmpty();
        assertThat(inFlight(q)).isZero();
    }

    @Test
    void anUploadTheThreadsRefuseIsAbandonedAndDoesNotCount() {
        UploadQueue<Item> q = queue(1, task -> {
            throw new RejectedExecutionException("shut down");
        });
        Item a = new Item("a");
        offer(q, a);
        assertThat(a.begun).isEqualTo(1);
        assertThat(a.abandoned).isEqualTo(1);
        assertThat(a.inFlight).isFalse();
        assertThat(a.ended).isEmpty();
        assertThat(inFlight(q)).isZero();
    }

    @Test
    void aWaiterWakesWhenAnUploadEnds() throws Exception {
        UploadQueue<Item> q = queue(1);
        Item a = new Item("a");
        CompletableFuture<Long> waiter = CompletableFuture.supplyAsync(() -> {
            lock.lock();
            try {
                q.offer(a);
                return q.awaitCompletion(TimeUnit.SECONDS.toNanos(30));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            } finally {
                lock.unlock();
            }
        });
        // The upload was handed over under the waiter's lock; its completion takes the lock, so
        // it can only run once the waiter is waiting (which releases it).
        uploads.take().run();
        assertThat(waiter.get(30, TimeUnit.SECONDS)).as("woken before its timeout").isPositive();
        assertThat(a.ended).containsExactly(STORED);
    }

    @Test
    void aWaiterWakesWhenTheQueueCloses() throws Exception {
        UploadQueue<Item> q = queue(1);
        CountDownLatch locked = new CountDownLatch(1);
        CompletableFuture<Long> waiter = CompletableFuture.supplyAsync(() -> {
            lock.lock();
            try {
                locked.countDown();
                return q.awaitCompletion(TimeUnit.SECONDS.toNanos(30));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            } finally {
                lock.unlock();
            }
        });
        locked.await();
        lock.lock(); // granted only once the waiter waits
        try {
            q.close();
        } finally {
            lock.unlock();
        }
        assertThat(waiter.get(30, TimeUnit.SECONDS)).isPositive();
    }

    @Test
    void randomOffersFailuresAndCompletionsKeepTheBoundAndAnswerEachUploadOnce() {
        long seed = Long.getLong("uploadqueue.seed", new Random().nextLong());
        System.out.println("UploadQueueTest seed=" + seed + " (replay: -Duploadqueue.seed=" + seed + ")");
        Random random = new Random(seed);
        int limit = 1 + random.nextInt(4);
        UploadQueue<Item> q = queue(limit);
        List<Item> items = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            items.add(new Item("i" + i));
        }
        for (int step = 0; step < 5000; step++) {
            Item item = items.get(random.nextInt(items.size()));
            switch (random.nextInt(5)) {
                case 0 -> {
                    item.dirty = true;
                    if (item.inFlight) {
                        item.changedDuringUpload = true;
                    }
                    if (random.nextInt(4) == 0) {
                        item.script.add(new ObjectUpload.Outcome(false, random.nextBoolean()
                                ? new RuntimeException("transient") : new ErrnoException(Errno.EROFS, "fenced")));
                    }
                    offer(q, item);
                }
                case 1, 2 -> {
                    if (!uploads.isEmpty()) {
                        runNextUpload();
                    }
                }
                case 3 -> {
                    if (!delays.isEmpty()) {
                        runDelay(random.nextInt(delays.size()));
                    }
                }
                default -> offer(q, item);
            }
            assertThat(inFlight(q)).as("seed %d step %d", seed, step).isBetween(0, limit).isEqualTo(uploads.size());
        }
        runAllUploads();
        for (Item i : items) {
            assertThat(i.ended).as("seed %d: %s ended once per begin", seed, i).hasSize(i.begun - i.abandoned);
            assertThat(i.inFlight).isFalse();
        }
    }

    @Test
    void itsMethodsRequireTheLock() {
        assumeTrue(UploadQueue.class.desiredAssertionStatus(), "assertions are off");
        UploadQueue<Item> q = queue(1);
        assertThatThrownBy(() -> q.offer(new Item("a"))).isInstanceOf(AssertionError.class);
        assertThatThrownBy(q::inFlight).isInstanceOf(AssertionError.class);
        assertThatThrownBy(q::close).isInstanceOf(AssertionError.class);
    }
}
