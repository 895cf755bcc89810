package io.blockhaus.jmh;

import io.blockhaus.engine.lock.LockListener;
import io.blockhaus.engine.lock.LockMode;
import io.blockhaus.engine.lock.LockPolicy;
import io.blockhaus.engine.lock.PagecacheLock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What one request costs while {@code holders} others hold the lock: ADD holders on 8-page
 * ranges 16 pages apart, and a request (tried, then released) in one of the gaps between them,
 * a different gap each time. Issue 11 item 5: under {@code RANGE} the cost must grow with the
 * log of the holders, not linearly; {@code TWO_STATE} is the reference (it ignores ranges).
 * <ul>
 *   <li>ADD: admitted by both policies (same mode as the holders);</li>
 *   <li>BLOCK: granted by {@code RANGE} (the gap overlaps no holder: the overlap query has to
 *       look at the ADD holders' tree to know), refused by {@code TWO_STATE} (any ADD holder
 *       conflicts): that row is the cost of a refusal, not of a grant.</li>
 * </ul>
 *
 * <p>Run: {@code java -jar server/jmh/target/blockhaus-benchmarks.jar PagecacheLockHoldersBenchmark}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class PagecacheLockHoldersBenchmark {

    @Param({"TWO_STATE", "RANGE"})
    public LockPolicy policy;

    @Param({"ADD", "BLOCK"})
    public LockMode mode;

    @Param({"1", "16", "256"})
    public int holders;

    private PagecacheLock lock;
    private final List<PagecacheLock.Hold> held = new ArrayList<>();
    private int gap;

    @Setup
    public void setUp() {
        lock = PagecacheLock.create(policy, LockListener.NONE);
        for (int i = 0; i < holders; i++) {
            held.add(lock.acquire(LockMode.ADD, i * 16L, i * 16L + 8, 1_000_000_000L));
        }
    }

    @TearDown
    public void tearDown() {
        held.forEach(PagecacheLock.Hold::close);
        held.clear();
    }

    @Benchmark
    public PagecacheLock.Hold requestAmongHolders() {
        int g = gap;
        gap = g + 1 == holders ? 0 : g + 1;
        long first = g * 16L + 8;
        PagecacheLock.Hold h = lock.tryAcquire(mode, first, first + 8);
        if (h != null) {
            h.close();
        }
        return h;
    }
}
