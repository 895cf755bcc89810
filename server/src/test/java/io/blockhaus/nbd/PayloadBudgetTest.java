package io.blockhaus.nbd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The server-wide payload budget: half split into per-connection shares nobody else can take,
 * half a shared pool; the sum never passes the limit, and a connection whose share is free always
 * gets a share's worth however much the others hold. Limit 400 over 4 connections: shares of 50,
 * a pool of 200.
 */
class PayloadBudgetTest {
    private final PayloadBudget b = new PayloadBudget(400, 4, 200);

    @Test
    void takesFromTheShareFirstThenThePoolAndNeverPassesTheLimit() {
        assertThat(b.share()).isEqualTo(50);
        PayloadBudget.Account a = b.open();
        PayloadBudget.Lease first = a.tryTake(150); // 50 share + 100 pool
        PayloadBudget.Lease second = a.tryTake(100); // pool only: 200 of 200
        assertThat(first).isNotNull();
        assertThat(second).isNotNull();
        assertThat(a.tryTake(1)).as("share and pool both used up").isNull();
        assertThat(b.used()).isEqualTo(250);
        first.release();
        first.release(); // a lease gives back once, however often it is released
        assertThat(b.used()).isEqualTo(100);
        second.release();
        assertThat(b.used()).isZero();
        assertThat(b.peak()).isEqualTo(250);
    }

    @Test
    void connectionsHoldingThePoolNeverStarveAnotherConnectionsShare() {
        List<PayloadBudget.Lease> hostile = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            PayloadBudget.Account a = b.open();
            for (PayloadBudget.Lease l; (l = a.tryTake(40)) != null; ) {
                hostile.add(l);
            }
        }
        assertThat(b.open().tryTake(250)).as("the pool is gone").isNull();
        PayloadBudget.Account good = b.open();
        PayloadBudget.Lease l = good.tryTake(50);
        assertThat(l).as("a share's worth is always there").isNotNull();
        assertThat(b.used()).isLessThanOrEqualTo(400);
        assertThat(b.peak()).isLessThanOrEqualTo(400);
        l.release();
        hostile.forEach(PayloadBudget.Lease::release);
        assertThat(b.used()).isZero();
    }

    @Test
    void aWaiterRunsAtTheNextReleaseOnlyOnce() {
        PayloadBudget.Account a = b.open();
        AtomicInteger woken = new AtomicInteger();
        PayloadBudget.Lease all = a.tryTake(250);
        assertThat(a.tryTake(50)).isNull();
        a.await(50, woken::incrementAndGet);
        assertThat(woken.get()).as("still no room").isZero();
        all.release();
        assertThat(woken.get()).isEqualTo(1);
        a.tryTake(10).release();
        assertThat(woken.get()).as("a registration is used up by its wake-up").isEqualTo(1);
    }

    @Test
    void aWaiterRegisteringAfterTheRoomAppearedRunsAtOnce() {
        PayloadBudget.Account a = b.open();
        AtomicInteger woken = new AtomicInteger();
        PayloadBudget.Lease all = a.tryTake(250);
        assertThat(a.tryTake(50)).isNull();
        all.release(); // between the failed take and the registration: nobody to wake yet
        a.await(50, woken::incrementAndGet);
        assertThat(woken.get()).as("no lost wake-up").isEqualTo(1);
    }

    @Test
    void aPoolSmallerThanOneRequestIsRefused() {
        assertThatThrownBy(() -> new PayloadBudget(300, 4, 200)).isInstanceOf(IllegalArgumentException.class);
    }
}
