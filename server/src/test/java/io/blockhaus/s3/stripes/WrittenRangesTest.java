package io.blockhaus.s3.stripes;

import io.blockhaus.s3.stripes.WrittenRanges.Range;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

class WrittenRangesTest {

    @Test
    void rangesMergeWhenTheyTouchOrOverlapAndGapsAreWhatIsLeft() {
        WrittenRanges r = new WrittenRanges();
        r.add(10, 20);
        r.add(30, 40);
        assertThat(r.gaps(0, 50)).containsExactly(new Range(0, 10), new Range(20, 30), new Range(40, 50));
        assertThat(r.gaps(15, 35)).containsExactly(new Range(20, 30));
        assertThat(r.gaps(12, 18)).isEmpty();
        r.add(20, 30); // touches both: one range now
        assertThat(r.gaps(0, 50)).containsExactly(new Range(0, 10), new Range(40, 50));
        assertThat(r.coversPrefix(40)).isFalse();
        r.add(0, 10);
        assertThat(r.coversPrefix(40)).isTrue();
        assertThat(r.coversPrefix(41)).isFalse();
        r.add(5, 45);
        assertThat(r.gaps(0, 50)).containsExactly(new Range(45, 50));
    }

    @Test
    void gapsMatchABitModel() {
        long seed = new SplittableRandom().nextLong();
        System.out.println("WrittenRangesTest seed=" + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        int n = 200;
        for (int round = 0; round < 200; round++) {
            WrittenRanges r = new WrittenRanges();
            boolean[] model = new boolean[n];
            for (int op = 0; op < 12; op++) {
                int from = rnd.nextInt(n);
                int to = from + rnd.nextInt(n - from + 1);
                r.add(from, to);
                for (int i = from; i < to; i++) {
                    model[i] = true;
                }
                int a = rnd.nextInt(n);
                int b = a + rnd.nextInt(n - a + 1);
                assertThat(r.gaps(a, b)).as("seed %d", seed).isEqualTo(modelGaps(model, a, b));
                int prefix = rnd.nextInt(n + 1);
                boolean covered = true;
                for (int i = 0; i < prefix; i++) {
                    covered &= model[i];
                }
                assertThat(r.coversPrefix(prefix)).as("seed %d prefix %d", seed, prefix).isEqualTo(covered);
            }
        }
    }

    private static List<Range> modelGaps(boolean[] model, int from, int to) {
        List<Range> out = new ArrayList<>();
        for (int i = from; i < to; ) {
            if (model[i]) {
                i++;
                continue;
            }
            int start = i;
            while (i < to && !model[i]) {
                i++;
            }
            out.add(new Range(start, i));
        }
        return out;
    }
}
