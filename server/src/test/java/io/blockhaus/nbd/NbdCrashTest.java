package io.blockhaus.nbd;

import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.nbd.NbdTestClient.Mode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real server as a child JVM on a data directory, killed with SIGKILL after a FLUSH and some
 * unflushed writes, then restarted on the same directory: every flushed byte must be there.
 */
class NbdCrashTest {
    private static final long SEED = System.nanoTime();

    @TempDir
    Path dataDir;

    /** A running child server and the lines it printed. */
    private record Child(Process process, LinkedBlockingQueue<String> lines, int port) implements AutoCloseable {
        @Override
        public void close() throws InterruptedException {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private Child startServer() throws Exception {
        int port = freePort();
        String java = ProcessHandle.current().info().command().orElse(
                Path.of(System.getProperty("java.home"), "bin", "java").toString());
        Process p = new ProcessBuilder(java, "-Xmx256m", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), "io.blockhaus.server.Main",
                "serve", "--data-dir", dataDir.toString(), "--nbd-listen", "127.0.0.1:" + port,
                "--grpc-listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--cache-size", "64M", "--warmup", "0")
                .redirectErrorStream(true).start();
        LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread.ofPlatform().daemon().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null; ) {
                    System.out.println("[child] " + l);
                    lines.add(l);
                }
            } catch (IOException e) {
                // the child died: its output ends here
            }
        });
        Child child = new Child(p, lines, port);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            long left = deadline - System.nanoTime();
            assertThat(left).as("child server did not print 'NBD listening'").isPositive();
            String line = lines.poll(left, TimeUnit.NANOSECONDS);
            if (line != null && line.contains("NBD listening")) {
                return child;
            }
            if (line == null || !p.isAlive()) {
                child.close();
                throw new AssertionError("child server exited (" + (p.isAlive() ? "?" : p.exitValue()) + ")");
            }
        }
    }

    @Test
    void flushedWritesSurviveSigkill() throws Exception {
        System.out.println("NbdCrashTest seed " + SEED);
        Random rnd = new Random(SEED);
        List<long[]> flushedAt = new ArrayList<>(); // {offset, index}
        List<byte[]> flushed = new ArrayList<>();
        long size;
        try (Child child = startServer(); NbdTestClient c = NbdTestClient.open(child.port(), Mode.STRUCTURED)) {
            size = c.exportSize();
            assertThat(size).isEqualTo(1L << 30);
            // 64 writes of 4-256 KiB at random places in the first half, then FLUSH.
            for (int i = 0; i < 64; i++) {
                byte[] d = new byte[4096 + rnd.nextInt(252 * 1024)];
                rnd.nextBytes(d);
                long off = (long) rnd.nextInt(1 << 29) - d.length / 2;
                off = Math.max(0, off);
                c.writeOk(off, d);
                flushedAt.add(new long[] {off, i});
                flushed.add(d);
            }
            assertThat(c.flush().ok()).isTrue();
            // More writes in the second half, not flushed: these may or may not survive.
            for (int i = 0; i < 32; i++) {
                byte[] d = new byte[65536];
                rnd.nextBytes(d);
                c.writeOk((1L << 29) + rnd.nextInt(1 << 29) - 65536, d);
            }
            child.process().destroyForcibly(); // SIGKILL: no shutdown hook, no writeback
            assertThat(child.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        try (Child child = startServer(); NbdTestClient c = NbdTestClient.open(child.port(), Mode.STRUCTURED)) {
            assertThat(c.exportSize()).isEqualTo(size);
            // Later writes overwrite earlier ones where they overlap: build the expected image.
            for (int i = 0; i < flushed.size(); i++) {
                long off = flushedAt.get(i)[0];
                byte[] expected = flushed.get(i).clone();
                for (int j = i + 1; j < flushed.size(); j++) {
                    overlay(expected, off, flushed.get(j), flushedAt.get(j)[0]);
                }
                assertThat(c.readOk(off, expected.length)).as("flushed write %d at %d", i, off).isEqualTo(expected);
            }
        }
    }

    /** Copies the part of {@code src} (at {@code srcOff}) that overlaps {@code dst} (at {@code dstOff}). */
    private static void overlay(byte[] dst, long dstOff, byte[] src, long srcOff) {
        long from = Math.max(dstOff, srcOff);
        long to = Math.min(dstOff + dst.length, srcOff + src.length);
        if (from < to) {
            System.arraycopy(src, (int) (from - srcOff), dst, (int) (from - dstOff), (int) (to - from));
        }
    }
}
