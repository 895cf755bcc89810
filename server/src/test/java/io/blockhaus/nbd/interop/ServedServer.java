package io.blockhaus.nbd.interop;

import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.server.Main;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code blockhaus-server serve} as a process of its own on the test's class path, for tests that
 * kill it (SIGKILL: no shutdown hook, no final flush), freeze it (SIGSTOP) or run two of them on
 * one volume. NBD on an ephemeral loopback port read from its start-up log; gRPC likewise, metrics
 * off. Closing kills it, so it never outlives the test.
 */
final class ServedServer implements AutoCloseable {
    private static final Pattern NBD_PORT = Pattern.compile("NBD listening on [^ ]+:(\\d+) ");

    private final Process process;
    private final Proc.Drain out;
    private final Proc.Drain err;
    private final int nbdPort;

    private ServedServer(Process process, Duration startTimeout) {
        this.process = process;
        this.out = new Proc.Drain(process.getInputStream());
        this.err = new Proc.Drain(process.getErrorStream());
        long deadline = System.nanoTime() + startTimeout.toNanos();
        while (!out.snapshot().contains("blockhaus: running as pid")) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                Proc.destroyTree(process);
                throw new AssertionError("serve did not start (" + (process.isAlive() ? "timed out" : "exit "
                        + process.exitValue()) + "):\n" + log());
            }
            LockSupport.parkNanos(20_000_000); // polling interval of a bounded wait for start-up
        }
        Matcher m = NBD_PORT.matcher(out.snapshot());
        assertThat(m.find()).as("NBD port in the log:\n%s", log()).isTrue();
        this.nbdPort = Integer.parseInt(m.group(1));
    }

    /** Starts serve with {@code env} added to the environment (the AWS credentials) and {@code options}; waits until it serves. */
    static ServedServer start(Path dataDir, Map<String, String> env, List<String> options) {
        List<String> cmd = command(dataDir, options);
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().putAll(env);
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        try {
            return new ServedServer(pb.start(), Duration.ofSeconds(90));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + cmd, e);
        }
    }

    /** Runs serve to its end (a start-up failure, say) and returns its exit code; its log is in {@code log[0]}. */
    static int runToExit(Path dataDir, Map<String, String> env, List<String> options, String[] log) throws InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command(dataDir, options)).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Proc.Drain all = new Proc.Drain(p.getInputStream());
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            Proc.destroyTree(p);
            throw new AssertionError("serve did not exit:\n" + all.snapshot());
        }
        log[0] = all.text();
        return p.exitValue();
    }

    private static List<String> command(Path dataDir, List<String> options) {
        List<String> cmd = new ArrayList<>(List.of(java(), "--enable-native-access=ALL-UNNAMED",
                "--sun-misc-unsafe-memory-access=allow", "-Xmx512m", "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "serve", "--data-dir", dataDir.toString(), "--nbd-listen", "127.0.0.1:0",
                "--grpc-listen", "127.0.0.1:0", "--metrics-listen", "off", "--cache-size", "64M", "--warmup", "0"));
        cmd.addAll(options);
        return cmd;
    }

    private static String java() {
        return ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    String uri(String export) {
        return "nbd://127.0.0.1:" + nbdPort + "/" + export;
    }

    long pid() {
        return process.pid();
    }

    boolean alive() {
        return process.isAlive();
    }

    /** stdout then stderr, as printed so far. */
    String log() {
        return out.snapshot() + "--- stderr ---\n" + err.snapshot();
    }

    /** SIGKILL, and waits for the death. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("killed server died").isTrue();
    }

    /** SIGTERM: a clean stop (every dirty page written back); returns the exit code. */
    int stop() throws InterruptedException {
        process.destroy();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("server stopped on SIGTERM:\n%s", log()).isTrue();
        return process.exitValue();
    }

    /** SIGSTOP: the process is frozen (no lease renewal, no writeback) until {@link #resume()}. */
    void suspend() {
        Proc.run(Duration.ofSeconds(10), "kill", "-STOP", Long.toString(pid())).ok();
    }

    /** SIGCONT. */
    void resume() {
        Proc.run(Duration.ofSeconds(10), "kill", "-CONT", Long.toString(pid())).ok();
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            resume(); // a frozen JVM ignores nothing but SIGKILL; thawed, it dies as asked
            Proc.destroyTree(process);
        }
    }
}
