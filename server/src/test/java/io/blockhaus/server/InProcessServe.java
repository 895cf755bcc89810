package io.blockhaus.server;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import picocli.CommandLine;

/**
 * {@code serve} run in this JVM with both front ends on ephemeral ports and file volumes in a
 * data directory, for tests outside this package (bhctl's) that need a whole server. Stops on
 * close, and fails the test if it does not stop cleanly.
 */
public final class InProcessServe implements AutoCloseable {
    private final ServeCommand command;
    private final CompletableFuture<Integer> exit;
    private final StringWriter log = new StringWriter();

    private InProcessServe(Path dataDir, StoreFactory stores, S3Parts s3Parts, List<String> extra) {
        command = new ServeCommand(stores, s3Parts, false);
        CommandLine cl = new CommandLine(command);
        cl.setOut(new PrintWriter(log, true));
        cl.setErr(new PrintWriter(log, true));
        List<String> args = new ArrayList<>(List.of("--data-dir", dataDir.toString(), "--nbd-listen", "127.0.0.1:0",
                "--grpc-listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0"));
        if (!extra.contains("--warmup")) {
            args.addAll(List.of("--warmup", "0")); // one JVM warms once; StartupWarmupTest runs it
        }
        if (!extra.contains("--cache-prefault")) {
            // Touching a whole default cache per server would cost many tests a second each on a
            // fresh VM for nothing they check; CachePrefaultServeTest checks the default.
            args.addAll(List.of("--cache-prefault", "false"));
        }
        args.addAll(extra);
        // A thread of its own, not the common pool: serve blocks until stopped, and with two cores the
        // common pool has one worker, so a second server running at once would wait for the first to stop.
        exit = CompletableFuture.supplyAsync(() -> cl.execute(args.toArray(String[]::new)),
                task -> Thread.ofPlatform().name("in-process-serve").daemon().start(task));
    }

    /** Starts serve with {@code extra} options (e.g. {@code --export name=x,size=1M}) and waits until it listens. */
    public static InProcessServe start(Path dataDir, String... extra) {
        return start(dataDir, new FileStoreFactory(), extra);
    }

    /** As {@link #start(Path, String...)}, with the volumes' stores opened by {@code stores} (a failing disk, say). */
    public static InProcessServe start(Path dataDir, StoreFactory stores, String... extra) {
        return start(dataDir, stores, S3Parts.real(), extra);
    }

    /** As {@link #start(Path, StoreFactory, String...)}, with s3 volumes built from {@code s3Parts}. */
    static InProcessServe start(Path dataDir, StoreFactory stores, S3Parts s3Parts, String... extra) {
        InProcessServe s = new InProcessServe(dataDir, stores, s3Parts, List.of(extra));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (s.command.running() == null) {
            if (s.exit.isDone() || System.nanoTime() > deadline) {
                throw new IllegalStateException("serve did not start: " + s.log);
            }
            LockSupport.parkNanos(10_000_000); // polling interval of a bounded wait for startup
        }
        return s;
    }

    /** What serve printed so far (stdout and stderr). */
    public String log() {
        return log.toString();
    }

    /** The NBD front end's port. */
    public int nbdPort() {
        return command.running().nbd().getPort();
    }

    /** HOST:PORT of the gRPC front end. */
    public String grpcTarget() {
        return "127.0.0.1:" + command.running().grpc().getPort();
    }

    /** HOST:PORT of the metrics endpoint ({@code /metrics}, {@code /healthz}, {@code /readyz}). */
    public String metricsTarget() {
        return "127.0.0.1:" + command.running().metrics().getPort();
    }

    @Override
    public void close() {
        command.running().shutdown().requestStop("test");
        try {
            int code = exit.get(60, TimeUnit.SECONDS);
            if (code != 0) {
                throw new AssertionError("serve exited " + code + ": " + log);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        } catch (ExecutionException | TimeoutException e) {
            throw new AssertionError("serve did not stop cleanly: " + e + "\n" + log, e);
        }
    }
}
