package io.blockhaus.nbd;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class PayloadBudgetTest {

    @Test
    void takesWhatFitsAndAlwaysOneRequestWhenNothingIsInFlight() {
        PayloadBudget b = new PayloadBudget(100);
        assertThat(b.tryTake(60)).isTrue();
        assertThat(b.tryTake(40)).isTrue();
        assertThat(b.tryTake(1)).as("full").isFalse();
        b.give(100);
        assertThat(b.used()).isZero();
        assertThat(b.tryTake(500)).as("larger than the budget, but alone").isTrue();
        assertThat(b.tryTake(1)).isFalse();
        b.give(500);
        assertThat(b.used()).isZero();
    }

    @Test
    void aWaiterRunsAtTheNextGiveBackOnlyOnce() {
        PayloadBudget b = new PayloadBudget(100);
        AtomicInteger woken = new AtomicInteger();
        assertThat(b.tryTake(100)).isTrue();
        assertThat(b.tryTake(50)).isFalse();
        b.await(50, woken::incrementAndGet);
        assertThat(woken.get()).as("still no room").isZero();
        b.give(100);
        assertThat(woken.get()).isEqualTo(1);
        b.give(0);
        assertThat(woken.get()).as("a registration is used up by its wake-up").isEqualTo(1);
    }

    @Test
    void aWaiterRegisteringAfterTheRoomAppearedRunsAtOnce() {
        PayloadBudget b = new PayloadBudget(100);
        AtomicInteger woken = new AtomicInteger();
        assertThat(b.tryTake(100)).isTrue();
        assertThat(b.tryTake(50)).isFalse();
        b.give(100); // between the failed take and the registration: nobody to wake yet
        b.await(50, woken::incrementAndGet);
        assertThat(woken.get()).as("no lost wake-up").isEqualTo(1);
    }
}
