package io.blockhaus.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.engine.lock.LockMode;
import io.blockhaus.engine.lock.LockOutcome;
import io.blockhaus.engine.lock.LockPolicy;
import org.junit.jupiter.api.Test;

class LockStatsRecorderTest {

    @Test
    void countsPerModeAndPercentilesWithinTheirLog2Bucket() {
        LockStatsRecorder r = new LockStatsRecorder();
        for (int i = 0; i < 98; i++) {
            r.acquired(LockMode.ADD, LockPolicy.TWO_STATE, 1000, false);
        }
        r.acquired(LockMode.ADD, LockPolicy.TWO_STATE, 5_000_000, true);
        r.acquired(LockMode.ADD, LockPolicy.TWO_STATE, 0, false);
        r.released(LockMode.ADD, LockPolicy.TWO_STATE, 3);
        r.failed(LockMode.BLOCK, LockPolicy.TWO_STATE, 0, LockOutcome.EDEADLOCK);
        r.failed(LockMode.BLOCK, LockPolicy.TWO_STATE, 30_000, LockOutcome.TIMEOUT);
        r.failed(LockMode.BLOCK, LockPolicy.TWO_STATE, 1, LockOutcome.INTERRUPTED);

        LockStatsRecorder.ModeSnapshot add = r.snapshot(LockMode.ADD);
        assertThat(add.acquisitions()).isEqualTo(100);
        assertThat(add.contended()).isEqualTo(1);
        assertThat(add.waitP50()).isBetween(1000L, 1023L); // the upper bound of 1000's bucket
        assertThat(add.waitP99()).isBetween(1000L, 1023L); // 99 of 100 are at most 1000
        assertThat(add.waitMax()).isEqualTo(5_000_000);
        assertThat(add.holdP50()).isEqualTo(3);
        LockStatsRecorder.ModeSnapshot block = r.snapshot(LockMode.BLOCK);
        assertThat(block.acquisitions()).isZero();
        assertThat(block.deadlocks()).isEqualTo(1);
        assertThat(block.timeouts()).isEqualTo(1);
        assertThat(block.interrupts()).isEqualTo(1);
        assertThat(block.waitP50()).isZero(); // nothing acquired, nothing timed
        assertThat(block.waitBuckets()).isEmpty();
    }

    @Test
    void waitBucketsAreTheLog2HistogramUpToTheLastNonEmptyBucket() {
        LockStatsRecorder r = new LockStatsRecorder();
        r.acquired(LockMode.ADD, LockPolicy.TWO_STATE, 0, false); // bucket 0 holds 0 and 1
        r.acquired(LockMode.ADD, LockPolicy.TWO_STATE, 1, false);
        r.acquired(LockMode.ADD, LockPolicy.TWO_STATE, 1000, false); // [512, 1024): bucket 9
        r.acquired(LockMode.ADD, LockPolicy.TWO_STATE, 1024, true); // [1024, 2048): bucket 10
        assertThat(r.snapshot(LockMode.ADD).waitBuckets()).containsExactly(2L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 1L, 1L);
    }
}
