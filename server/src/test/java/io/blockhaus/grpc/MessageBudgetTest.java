package io.blockhaus.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The payload budget's arithmetic: shares, the pool, waiters granted on release, withdrawal. */
class MessageBudgetTest {

    @Test
    void aConnectionTakesItsShareThenThePoolAndAnotherKeepsItsShare() {
        MessageBudget b = new MessageBudget(1000, 5, 400); // shares of 100, a pool of 500
        assertThat(b.share()).isEqualTo(100);
        MessageBudget.Account greedy = b.open();
        MessageBudget.Lease first = greedy.tryTake(400); // 100 of its share, 300 of the pool
        MessageBudget.Lease second = greedy.tryTake(200); // the pool's last 200
        assertThat(first).isNotNull();
        assertThat(second).isNotNull();
        assertThat(greedy.tryTake(1)).as("share and pool used up").isNull();
        MessageBudget.Account other = b.open();
        MessageBudget.Lease own = other.tryTake(100);
        assertThat(own).as("another connection's share is its own").isNotNull();
        assertThat(other.tryTake(1)).isNull();
        assertThat(b.used()).isEqualTo(700);
        first.release();
        first.release(); // once only
        assertThat(b.used()).isEqualTo(300);
        second.release();
        own.release();
        assertThat(b.used()).isZero();
        assertThat(b.peak()).isEqualTo(700);
    }

    @Test
    void theUnattachedAccountHasNoShare() {
        MessageBudget b = new MessageBudget(1000, 5, 400);
        assertThat(b.unattached().tryTake(500)).isNotNull();
        assertThat(b.unattached().tryTake(1)).isNull();
        assertThat(b.open().tryTake(100)).isNotNull();
    }

    @Test
    void aBudgetWhosePoolCannotHoldTheLargestMessageIsRefused() {
        assertThatThrownBy(() -> new MessageBudget(700, 5, 400)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least twice");
    }

    @Test
    void waitersAreGrantedByReleasesInOrderAndAWithdrawnOneNever() {
        MessageBudget b = new MessageBudget(1000, 5, 500);
        MessageBudget.Account a = b.open();
        MessageBudget.Lease all = a.tryTake(600); // share 100 and the whole pool
        List<String> granted = new ArrayList<>();
        List<MessageBudget.Lease> leases = new ArrayList<>();
        MessageBudget.Waiter w1 = a.await(300, l -> { granted.add("w1"); leases.add(l); });
        MessageBudget.Waiter w2 = a.await(300, l -> { granted.add("w2"); leases.add(l); });
        MessageBudget.Waiter w3 = a.await(300, l -> { granted.add("w3"); leases.add(l); });
        assertThat(granted).isEmpty();
        assertThat(b.waiting()).isEqualTo(3);
        assertThat(w2.withdraw()).isTrue();
        all.release(); // 600 back: w1 and w3 fit, w2 left
        assertThat(granted).containsExactly("w1", "w3");
        assertThat(w1.withdraw()).as("already granted").isFalse();
        assertThat(b.waiting()).isZero();
        assertThat(b.used()).isEqualTo(600);
        leases.forEach(MessageBudget.Lease::release);
        assertThat(b.used()).isZero();
        MessageBudget.Waiter now = a.await(100, l -> { granted.add("now"); l.release(); });
        assertThat(granted).as("granted at once when it fits").endsWith("now");
        assertThat(now.withdraw()).isFalse();
    }

    /** Threads take, wait and release at random: the count never passes the limit and ends at zero. */
    @Test
    void concurrentUseNeverPassesTheLimitAndGivesEverythingBack() throws InterruptedException {
        long seed = Long.getLong("messagebudget.seed", System.nanoTime());
        System.out.println("MessageBudgetTest seed " + seed + " (replay: -Dmessagebudget.seed=" + seed + ")");
        MessageBudget b = new MessageBudget(64 << 10, 4, 8 << 10);
        List<MessageBudget.Account> accounts = List.of(b.open(), b.open(), b.open(), b.open());
        int threads = 4;
        CountDownLatch done = new CountDownLatch(threads);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        ConcurrentLinkedQueue<MessageBudget.Waiter> waiters = new ConcurrentLinkedQueue<>();
        List<ConcurrentLinkedQueue<MessageBudget.Lease>> helds = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            SplittableRandom rnd = new SplittableRandom(seed + t);
            MessageBudget.Account account = accounts.get(t);
            ConcurrentLinkedQueue<MessageBudget.Lease> held = new ConcurrentLinkedQueue<>();
            helds.add(held);
            Thread.ofPlatform().daemon().start(() -> {
                try {
                    for (int i = 0; i < 20_000; i++) {
                        long bytes = 1 + rnd.nextInt(8 << 10);
                        if (rnd.nextBoolean()) {
                            MessageBudget.Lease l = account.tryTake(bytes);
                            if (l != null) {
                                held.add(l);
                            }
                        } else {
                            waiters.add(account.await(bytes, held::add)); // granted here or by another thread's release
                        }
                        assertThat(b.used()).isLessThanOrEqualTo(b.limit());
                        while (held.size() > 3 || rnd.nextInt(4) == 0 && !held.isEmpty()) {
                            held.poll().release();
                        }
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                } finally {
                    done.countDown();
                }
            });
        }
        assertThat(done.await(60, TimeUnit.SECONDS)).isTrue();
        assertThat(failure.get()).as("seed %d", seed).isNull();
        assertThat(b.peak()).as("seed %d", seed).isLessThanOrEqualTo(b.limit());
        // Withdraw whoever still waits, then give back what every thread holds: nothing may be left.
        waiters.forEach(MessageBudget.Waiter::withdraw);
        for (ConcurrentLinkedQueue<MessageBudget.Lease> held : helds) {
            held.forEach(MessageBudget.Lease::release);
        }
        assertThat(b.used()).as("seed %d", seed).isZero();
        assertThat(b.waiting()).isZero();
        assertThat(b.peak()).as("the test came near the limit, seed %d", seed).isGreaterThan(b.limit() / 2);
    }
}
