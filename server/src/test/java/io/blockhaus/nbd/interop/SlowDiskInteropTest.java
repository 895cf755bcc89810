package io.blockhaus.nbd.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.blockhaus.engine.VolumeConfig;
import io.blockhaus.engine.store.SparseFileStore;
import io.blockhaus.nbd.NbdServerConfig;
import io.blockhaus.nbd.NbdTestServer;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The event loop never waits for a disk (issue 11, item 1). The disk is one nobody here wrote and
 * slow on purpose: nbdkit's memory plugin behind its delay filter (every read takes 2 s), shown as
 * a file by nbdfuse and exported by path. One client reads from it, a 64 KiB READ (a stream the
 * server would send from the file) and a 4 KiB one (which it would try on the event loop), while
 * another client reads and writes 4 KiB at a time on a memory export of the same server. The
 * server has <em>one</em> event loop, so both connections share it: were any of the slow reads
 * done on the loop (sendfile of pages not in memory, a read that finds nothing cached), the other
 * client would wait the 2 s with it. Its worst latency must stay under 100 ms while the slow
 * client waits seconds. Skipped, with the reason, without nbdkit (and its delay filter), nbdfuse,
 * FUSE or python3-libnbd.
 *
 * <p>The latency is the server's, not the machine's: on a loaded machine (other builds on both
 * cores) the fast client's worst sample reached 119 and 251 ms, and each slow sample was the
 * event loop thread runnable but not running, waiting for a CPU
 * (docs/benchmarks/slowdisk-2026-12-05.md). So the script subtracts, per request, the time the
 * server's NBD threads and the client itself waited for a CPU (their schedstat run_delay), which
 * is never a wait for the disk: a thread blocked on a read sleeps and its run_delay stands still.
 * And this JVM's GC pauses (one of 80 ms under that load, a collection for metadata: the young
 * JVM still profiling and loading classes), which stop every thread, slow disk or not
 * ({@link GcPauses}). The raw worst must also stay under 1 s, so a loop stuck behind the 2 s disk
 * fails both ways. Both exports' paths are warmed first (the first READs of a file export load
 * classes on the loop).
 */
class SlowDiskInteropTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(90);

    @TempDir
    Path dir;

    @Test
    void clientsOfAFastExportAreAnsweredInMillisecondsWhileAnotherWaitsSecondsForASlowDisk() throws Exception {
        Proc.requireTool("nbdkit", "nbdkit");
        Proc.requireTool("nbdfuse", "libnbd-bin (nbdfuse)");
        Proc.requireTool("fusermount3", "fuse3");
        assumeTrue(Files.exists(Path.of("/dev/fuse")), "/dev/fuse is missing (no FUSE in this sandbox): test skipped");
        PyNbd.require();
        Proc.Result filter = Proc.run(Duration.ofSeconds(30), "nbdkit", "-U", "-", "--filter=delay", "memory", "1M",
                "rdelay=0", "--run", "true");
        assumeTrue(filter.exit() == 0, "nbdkit cannot load its delay filter and memory plugin; test skipped\n"
                + filter.describe());
        Path script = PyNbd.script(dir, "slowdisk.py");
        Path sock = dir.resolve("slow.sock");
        Path mnt = Files.createDirectory(dir.resolve("mnt"));
        Path disk = mnt.resolve("disk");
        // One event loop: both connections on it, or the test proves nothing.
        NbdServerConfig oneLoop = NbdServerConfig.defaults(new InetSocketAddress("127.0.0.1", 0)).withEventLoops(1);

        try (Proc.Background nbdkit = Proc.start("nbdkit", "-f", "-U", sock.toString(), "--filter=delay",
                "memory", "64M", "rdelay=2")) {
            awaitSocket(nbdkit, sock);
            try (Proc.Background nbdfuse = Proc.start("nbdfuse", "-P", dir.resolve("nbdfuse.pid").toString(),
                    disk.toString(), "nbd+unix:///?socket=" + sock)) {
                try {
                    Fuse.awaitMounted(nbdfuse, mnt, dir.resolve("nbdfuse.pid"));
                    try (NbdTestServer s = NbdTestServer.builder().server(oneLoop)
                            .volume(VolumeConfig.of("slow").withBypassBytes(64 * 1024), SparseFileStore.open(disk))
                            .memory("fast", 64L << 20)
                            .start()) {
                        Map<String, Object> out;
                        double worst;
                        try (GcPauses gc = new GcPauses()) {
                            out = PyNbd.run(TIMEOUT, script, s.uri("slow"), s.uri("fast"),
                                    Long.toString(ProcessHandle.current().pid())); // the server runs in this JVM
                            worst = worstOutsidePauses(out, gc);
                            System.out.println("slow disk: " + out + "; worst outside GC pauses " + worst + " ms; pauses "
                                    + gc.pauses().stream().map(p -> (p[1] - p[0]) + " ms").toList());
                        }
                        assertThat(((Number) out.get("slow_seconds")).doubleValue())
                                .as("the slow export really is slow (else this proves nothing)").isGreaterThan(1.5);
                        assertThat(out.get("slow_zeroes")).as("and reads right").isEqualTo(Boolean.TRUE);
                        assertThat(((Number) out.get("fast_requests")).intValue()).isGreaterThanOrEqualTo(20);
                        assertThat(worst).as("worst latency on the other export, same event loop, less waits for a CPU"
                                + " and GC pauses: %s", out).isLessThan(100.0);
                        assertThat(((Number) out.get("fast_worst_raw_ms")).doubleValue())
                                .as("and as the client saw it, far below the disk's 2 s: %s", out).isLessThan(1000.0);
                    }
                } finally {
                    Fuse.unmountQuietly(mnt);
                }
            }
        }
    }

    /**
     * The worst of the fast client's samples less its waits for a CPU (the script's figure), less
     * also any GC pause of this JVM it overlapped: the script lists each sample over 20 ms with its
     * wall-clock interval; the rest are under 20 ms already.
     */
    private static double worstOutsidePauses(Map<String, Object> out, GcPauses gc) {
        double worst = Math.min(20.0, ((Number) out.get("fast_worst_ms")).doubleValue());
        for (Object o : (List<?>) out.get("slowest")) {
            List<?> sample = (List<?>) o; // [ms less CPU waits, start, end (epoch ms)]
            double ms = ((Number) sample.get(0)).doubleValue();
            worst = Math.max(worst, ms - gc.overlap(((Number) sample.get(1)).doubleValue(), ((Number) sample.get(2)).doubleValue()));
        }
        return worst;
    }

    /** Polls (with a deadline) for nbdkit's socket; fails with its output if it exits first. */
    private static void awaitSocket(Proc.Background nbdkit, Path sock) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!Files.exists(sock)) {
            assertThat(nbdkit.process.isAlive()).as("nbdkit exited:\n%s", nbdkit.describe()).isTrue();
            assertThat(System.nanoTime()).as("nbdkit's socket within 30 s:\n%s", nbdkit.describe()).isLessThan(deadline);
            nbdkit.process.onExit().completeOnTimeout(null, 20, java.util.concurrent.TimeUnit.MILLISECONDS).join();
        }
    }
}
