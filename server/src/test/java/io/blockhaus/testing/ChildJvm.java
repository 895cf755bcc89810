package io.blockhaus.testing;

import static org.assertj.core.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A child JVM on the test's class path, for tests that kill a process with SIGKILL (no shutdown
 * hooks, no close): its stdout lines are pumped into a queue, its stderr kept in a file for the
 * failure message. Closing it kills it, so an orphan never outlives the test.
 */
public final class ChildJvm implements AutoCloseable {
    private final Process process;
    private final Path stderr;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

    private ChildJvm(Process process, Path stderr) {
        this.process = process;
        this.stderr = stderr;
        Thread pump = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    lines.add(line);
                }
            } catch (IOException ignored) {
                // the child was killed
            }
            lines.add("<EOF>");
        }, "child-stdout");
        pump.setDaemon(true);
        pump.start();
    }

    /** Starts {@code mainClass} with {@code jvmOptions} and {@code args}; its stderr goes to {@code dir}/child.err. */
    public static ChildJvm start(Path dir, List<String> jvmOptions, Class<?> mainClass, String... args) throws IOException {
        String java = ProcessHandle.current().info().command().orElse(
                Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass.getName()));
        cmd.addAll(List.of(args));
        Path err = dir.resolve("child.err");
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.redirectError(err.toFile());
        return new ChildJvm(pb.start(), err);
    }

    /** Waits up to a minute for the child's first line and fails the test, with its stderr, unless it is {@code expected}. */
    public void expectLine(String expected) throws IOException, InterruptedException {
        String line = lines.poll(60, TimeUnit.SECONDS);
        if (line == null || !line.equals(expected)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            fail("child did not say \"" + expected + "\" (got " + line + "); its stderr:\n" + Files.readString(stderr));
        }
    }

    public long pid() {
        return process.pid();
    }

    /** SIGTERM, and waits up to a minute for the exit; returns the exit code (-1 if still running). */
    public int terminate() throws InterruptedException {
        process.destroy();
        return process.waitFor(60, TimeUnit.SECONDS) ? process.exitValue() : -1;
    }

    /** SIGKILL, and waits for the death; true if it died within 30 s. */
    public boolean kill() throws InterruptedException {
        process.destroyForcibly();
        return process.waitFor(30, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }
}
