package io.blockhaus.jmh;

import io.blockhaus.engine.lock.LockListener;
import io.blockhaus.engine.lock.LockMode;
import io.blockhaus.engine.lock.LockPolicy;
import io.blockhaus.engine.lock.PagecacheLock;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * Uncontended acquire + release of the pagecache lock, per policy and mode: the cost every miss,
 * direct I/O and fallocate pays when nobody else is there. With the no-op listener (the lock then
 * skips reading the clock); the Micrometer listener's cost is measured separately.
 *
 * <p>Run: {@code java -jar server/jmh/target/blockhaus-benchmarks.jar PagecacheLockBenchmark}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class PagecacheLockBenchmark {

    @Param({"TWO_STATE", "RANGE"})
    public LockPolicy policy;

    @Param({"ADD", "BLOCK"})
    public LockMode mode;

    private PagecacheLock lock;
    private long page;

    @Setup
    public void setUp() {
        lock = PagecacheLock.create(policy, LockListener.NONE);
    }

    @Benchmark
    public PagecacheLock.Hold acquireRelease() {
        long p = page++ & 1023;
        PagecacheLock.Hold h = lock.acquire(mode, p, p + 1, 1_000_000_000L);
        h.close();
        return h;
    }
}
