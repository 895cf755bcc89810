package io.blockhaus.nbd.interop;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One NBD connection held open across what a test does between requests (nbd_session.py over
 * libnbd): write, read and flush answer one JSON object each, failures included, so a test can
 * assert the errno a client sees. Every answer has a deadline.
 */
final class NbdSession implements AutoCloseable {
    private final Process process;
    private final Writer in;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final Proc.Drain err;
    /** The answer to the connection: read_only and size. */
    final Map<String, Object> hello;

    private NbdSession(Process process, Duration timeout) {
        this.process = process;
        this.in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        this.err = new Proc.Drain(process.getErrorStream());
        Thread.ofVirtual().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null; ) {
                    lines.add(l);
                }
            } catch (IOException e) {
                // the process went away; answer() reports it
            }
        });
        this.hello = answer(timeout);
    }

    /** Connects to {@code uri}; the script is copied into {@code dir}. */
    static NbdSession open(Path dir, String uri) {
        PyNbd.require();
        Path script = PyNbd.script(dir, "nbd_session.py");
        try {
            return new NbdSession(new ProcessBuilder(PyNbd.PYTHON, script.toString(), uri).start(), Duration.ofSeconds(30));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Map<String, Object> write(long offset, int length, long seed, Duration timeout) {
        return call("write " + offset + " " + length + " " + seed, timeout);
    }

    Map<String, Object> read(long offset, int length, long seed, Duration timeout) {
        return call("read " + offset + " " + length + " " + seed, timeout);
    }

    Map<String, Object> flush(Duration timeout) {
        return call("flush", timeout);
    }

    /** Asserts the request succeeded. */
    static Map<String, Object> ok(Map<String, Object> answer) {
        assertThat(answer).as("NBD request").containsEntry("ok", true);
        return answer;
    }

    private Map<String, Object> call(String command, Duration timeout) {
        try {
            in.write(command + "\n");
            in.flush();
        } catch (IOException e) {
            throw new AssertionError("the NBD client died before '" + command + "': " + err.snapshot(), e);
        }
        return answer(timeout);
    }

    private Map<String, Object> answer(Duration timeout) {
        String line;
        try {
            line = lines.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
        if (line == null) {
            throw new AssertionError("no answer from the NBD client within " + timeout + " (alive: " + process.isAlive()
                    + "); its stderr:\n" + err.snapshot());
        }
        return Json.object(line);
    }

    @Override
    public void close() {
        try {
            in.write("quit\n");
            in.flush();
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (IOException e) {
            // already gone
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            Proc.destroyTree(process);
        }
    }
}
