package io.blockhaus.nbd.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs external programs for the interop tests: every run has a deadline (the process tree is
 * killed when it passes), its stdout and stderr are captured separately, and any failure message
 * shows the command line, the exit status and both streams.
 */
final class Proc {
    private Proc() {
    }

    /** The outcome of one run. */
    record Result(List<String> command, int exit, String stdout, String stderr, long millis) {
        /** Command, exit status and output, for assertion messages. */
        String describe() {
            return "$ " + String.join(" ", command) + "\nexit " + exit + " after " + millis + " ms\n--- stdout ---\n"
                    + clip(stdout) + "\n--- stderr ---\n" + clip(stderr);
        }

        /** Asserts exit status 0 and returns this. */
        Result ok() {
            assertThat(exit).as("command failed:\n%s", describe()).isZero();
            return this;
        }

        String all() {
            return stdout + stderr;
        }

        private static String clip(String s) {
            return s.length() > 20_000 ? s.substring(0, 10_000) + "\n...[clipped]...\n" + s.substring(s.length() - 10_000) : s;
        }
    }

    static Result run(Duration timeout, String... command) {
        return run(timeout, null, List.of(command));
    }

    static Result run(Duration timeout, Path cwd, List<String> command) {
        ProcessBuilder pb = new ProcessBuilder(command);
        if (cwd != null) {
            pb.directory(cwd.toFile());
        }
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        long t0 = System.nanoTime();
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command, e);
        }
        Drain out = new Drain(p.getInputStream());
        Drain err = new Drain(p.getErrorStream());
        boolean done;
        try {
            done = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            destroyTree(p);
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + command, e);
        }
        if (!done) {
            destroyTree(p);
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        Result r = new Result(List.copyOf(command), done ? p.exitValue() : -1, out.text(), err.text(), ms);
        if (!done) {
            throw new AssertionError("timed out after " + timeout + ":\n" + r.describe());
        }
        return r;
    }

    /** Kills {@code p} and its descendants, and waits a little for them to go. */
    static void destroyTree(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        try {
            p.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Skips the test (with the package to install) when {@code tool} is not on this machine. */
    static Path requireTool(String tool, String debianPackage) {
        for (String dir : List.of("/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin")) {
            Path p = Path.of(dir, tool);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        assumeTrue(false, tool + " not found: install the Debian package " + debianPackage
                + " (apt-get install " + debianPackage + "); test skipped");
        throw new AssertionError("unreachable");
    }

    /** Starts a long-running program (a FUSE daemon) whose output is kept for failure messages. */
    static Background start(String... command) {
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        try {
            return new Background(List.of(command), pb.start());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + List.of(command), e);
        }
    }

    /** A running program; {@link #close()} kills it if it is still running. */
    static final class Background implements AutoCloseable {
        final List<String> command;
        final Process process;
        private final Drain out;
        private final Drain err;

        Background(List<String> command, Process process) {
            this.command = command;
            this.process = process;
            this.out = new Drain(process.getInputStream());
            this.err = new Drain(process.getErrorStream());
        }

        /** Waits for the program to exit by itself; fails (after killing it) past the deadline. */
        int waitFor(Duration timeout) throws InterruptedException {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                destroyTree(process);
                throw new AssertionError("did not exit within " + timeout + ":\n" + describe());
            }
            return process.exitValue();
        }

        String describe() {
            return "$ " + String.join(" ", command) + "\n" + (process.isAlive() ? "running" : "exit " + process.exitValue())
                    + "\n--- stdout ---\n" + out.snapshot() + "\n--- stderr ---\n" + err.snapshot();
        }

        @Override
        public void close() {
            if (process.isAlive()) {
                destroyTree(process);
            }
        }
    }

    /** Reads a stream to the end on its own thread, so a chatty process can never block on a full pipe. */
    static final class Drain {
        private final ByteArrayOutputStream buf = new ByteArrayOutputStream();
        private final Thread thread;

        Drain(InputStream in) {
            thread = Thread.ofVirtual().start(() -> {
                byte[] b = new byte[8192];
                try (in) {
                    int n;
                    while ((n = in.read(b)) > 0) {
                        synchronized (buf) {
                            buf.write(b, 0, n);
                        }
                    }
                } catch (IOException e) {
                    // process killed: keep what was read
                }
            });
        }

        /** Everything read so far (all of it once the process has exited and the pipe closed). */
        String text() {
            try {
                thread.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return snapshot();
        }

        String snapshot() {
            synchronized (buf) {
                return buf.toString(StandardCharsets.UTF_8);
            }
        }
    }
}
