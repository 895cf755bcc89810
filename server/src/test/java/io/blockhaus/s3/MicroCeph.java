package io.blockhaus.s3;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A single-node Ceph cluster with its RADOS Gateway, started by deploy/ceph/micro-ceph.sh in a
 * temporary directory for this test JVM and stopped (its directory deleted) on {@link #close()},
 * which {@link RgwFixture} does when JUnit closes the root context's store, after the last test.
 *
 * <p>Started without ceph-mgr (S3 does not need it; saves ~250 MiB and most of a second) and with
 * {@code MICRO_CEPH_OWNER_PID} set to this JVM: if the JVM dies without closing the store (SIGKILL,
 * a crashed fork), the script's watcher stops the daemons by itself. The script's output goes to a
 * file, never to a pipe this JVM would have to drain: the daemons it leaves running must hold no
 * descriptor of ours.
 */
final class MicroCeph implements AutoCloseable {
    /** Generous: a cold start is ~4 s on 2 cores; under the load of parallel builds it can take several times that. */
    private static final long START_SECONDS = 180;
    private static final long STOP_SECONDS = 60;

    private final Path script;
    private final Path home;
    private final Rgw rgw;

    private MicroCeph(Path script, Path home, Rgw rgw) {
        this.script = script;
        this.home = home;
        this.rgw = rgw;
    }

    /** The gateway of this cluster. */
    Rgw rgw() {
        return rgw;
    }

    /**
     * Starts a cluster with {@code script}; throws with the script's output and where the daemons'
     * logs are when it does not come up.
     */
    static MicroCeph start(Path script) {
        Path home;
        try {
            home = Files.createTempDirectory("blockhaus-micro-ceph-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Path cluster = home.resolve("cluster");
        Path log = home.resolve("start.log");
        int exit = run(List.of("bash", script.toString(), "start", cluster.toString()), log, START_SECONDS,
                Map.of("MICRO_CEPH_NO_MGR", "1", "MICRO_CEPH_OWNER_PID", Long.toString(ProcessHandle.current().pid())));
        if (exit != 0) {
            // Stop whatever did start, but keep the directory: its logs say why.
            run(List.of("bash", script.toString(), "stop", cluster.toString()), home.resolve("stop.log"),
                    STOP_SECONDS, Map.of());
            throw new IllegalStateException(script + " start " + cluster + " exited " + exit + "; daemon logs in "
                    + cluster.resolve("log") + "; its output:\n" + read(log));
        }
        Map<String, String> env = parseEnv(read(cluster.resolve("s3.env")));
        Rgw rgw = new Rgw(URI.create(env.get("S3_ENDPOINT")), env.get("AWS_ACCESS_KEY_ID"),
                env.get("AWS_SECRET_ACCESS_KEY"), "micro-Ceph in " + cluster + " (" + script + ")");
        return new MicroCeph(script, home, rgw);
    }

    /** Stops the daemons and deletes the cluster's directory (its data lived in the OSD's memory). */
    @Override
    public void close() {
        Path cluster = home.resolve("cluster");
        int exit = run(List.of("bash", script.toString(), "stop", cluster.toString()), home.resolve("stop.log"),
                STOP_SECONDS, Map.of());
        if (exit != 0) {
            throw new IllegalStateException(script + " stop " + cluster + " exited " + exit + ":\n"
                    + read(home.resolve("stop.log")));
        }
        try (Stream<Path> all = Files.walk(home)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("micro-Ceph stopped but " + home + " could not be deleted", e);
        }
    }

    /** {@code KEY=VALUE} lines (the script's s3.env) as a map. */
    static Map<String, String> parseEnv(String text) {
        Map<String, String> env = new HashMap<>();
        for (String line : text.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                env.put(line.substring(0, eq).trim(), line.substring(eq + 1).trim());
            }
        }
        for (String key : List.of("S3_ENDPOINT", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")) {
            if (!env.containsKey(key)) {
                throw new IllegalStateException("micro-Ceph's s3.env has no " + key + ":\n" + text);
            }
        }
        return env;
    }

    private static int run(List<String> command, Path log, long seconds, Map<String, String> extraEnv) {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().putAll(extraEnv);
        try {
            Process p = pb.start();
            if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
                return -1;
            }
            return p.exitValue();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + command, e);
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e + ")";
        }
    }
}
