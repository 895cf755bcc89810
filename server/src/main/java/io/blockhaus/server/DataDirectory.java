package io.blockhaus.server;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What {@code serve} does with its data directory before it opens a volume: takes it for itself
 * ({@link DataDirectoryLock}), removes what a killed warm-up left, creates the directories that
 * new volume files go into, and reconciles the volumes created over gRPC in earlier runs (remembered in {@link ApiVolumeFile}) with this run's {@code --export}s. Kept out of
 * {@link ServeCommand}, whose job is the order of start-up and shutdown, because these are the
 * decisions an operator asks about ("why is my gRPC volume not served?"): each refusal is one
 * warning on stderr, and the command line always wins over what a client created.
 */
final class DataDirectory {
    private DataDirectory() {
    }

    /** What {@link #claim} found: the volumes created over gRPC still to serve, and every volume to open. */
    record Claimed(List<ExportSpec> remembered, List<VolumePlan> all) {
    }

    /**
     * Takes the directory for this server and readies it, in this order: the directory's lock
     * ({@link DataDirectoryLock}; registered on {@code shutdown} first, so released last, after the
     * volumes are closed), the locks of the exports' existing files, the removal of warm-up
     * leftovers (safe only under the lock), {@link #prepare}, and the volumes created over gRPC
     * ({@link #remembered}). On a failure everything registered so far is released before the
     * exception goes on: tests run many servers in one JVM, and a refused start must not keep a lock.
     */
    static Claimed claim(Path dir, List<VolumePlan> plans, ApiVolumeFile apiFile, ExportFileLocks fileLocks,
            Shutdown shutdown, PrintWriter err) {
        shutdown.register("the data directory lock", DataDirectoryLock.acquire(dir));
        shutdown.register("the export file locks", fileLocks);
        try {
            fileLocks.lock(plans, false);
            removeWarmupLeftovers(dir, err);
            prepare(dir, plans);
            List<ExportSpec> remembered = remembered(apiFile, plans, err);
            List<VolumePlan> all = new ArrayList<>(plans);
            if (!remembered.isEmpty()) { // resolve plans 'default' for an empty list
                all.addAll(VolumePlan.resolve(dir, remembered));
            }
            return new Claimed(remembered, all);
        } catch (RuntimeException e) {
            shutdown.closeAll();
            throw e;
        }
    }

    /**
     * Creates {@code dir} and the parent directory of each volume file to be created inside it;
     * a new file outside {@code dir} needs a directory that exists.
     */
    static void prepare(Path dir, List<VolumePlan> plans) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new StartupException("cannot create the data directory " + dir + ": " + StartupException.describe(e), e);
        }
        for (VolumePlan plan : plans) {
            if (!plan.create()) {
                continue; // an existing file, or an s3 volume (no file)
            }
            Path parent = plan.file().getParent();
            if (!plan.create() || parent == null || Files.isDirectory(parent)) {
                continue;
            }
            if (!parent.startsWith(dir)) {
                throw new StartupException("export '" + plan.name() + "': directory " + parent + " does not exist");
            }
            try {
                Files.createDirectories(parent);
            } catch (IOException e) {
                throw new StartupException("cannot create " + parent + ": " + StartupException.describe(e), e);
            }
        }
    }

    /**
     * Removes the scratch directories ({@code .warmup-*}) of warm-ups that never finished: a
     * server killed during its warm-up ({@link StartupWarmup}) leaves one behind, up to four
     * times the warm-up cache (64M) of sparse file. Only under the {@link DataDirectoryLock}: then
     * no other server can be warming up in it. Each removal is said on stderr; one that fails too,
     * and start-up goes on (the leftover costs space, not correctness).
     */
    static void removeWarmupLeftovers(Path dir, PrintWriter err) {
        List<Path> leftovers = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, StartupWarmup.SCRATCH_PREFIX + "*")) {
            for (Path p : entries) {
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    leftovers.add(p);
                }
            }
        } catch (IOException e) {
            err.println("blockhaus: warning: cannot list " + dir + " for warm-up leftovers: " + StartupException.describe(e));
        }
        for (Path p : leftovers) {
            try {
                StartupWarmup.deleteTree(p);
                err.println("blockhaus: removed " + p + ", left by a warm-up that did not finish (a killed server)");
            } catch (IOException | UncheckedIOException e) {
                err.println("blockhaus: warning: cannot remove the warm-up leftover " + p + ": " + StartupException.describe(e));
            }
        }
        err.flush();
    }

    /**
     * The volumes created over gRPC in earlier runs, less those the command line now declares
     * itself (it wins) and those whose file is gone (each said on stderr).
     */
    static List<ExportSpec> remembered(ApiVolumeFile file, List<VolumePlan> plans, PrintWriter err) {
        List<ExportSpec> specs;
        try {
            specs = file.load();
        } catch (IllegalArgumentException | UncheckedIOException e) {
            throw new StartupException("cannot read the volumes created over gRPC: " + e.getMessage(), e);
        }
        Set<String> names = new HashSet<>();
        Set<Path> files = new HashSet<>();
        for (VolumePlan p : plans) {
            names.add(p.name());
            files.add(p.file());
        }
        List<ExportSpec> kept = new ArrayList<>();
        for (ExportSpec s : specs) {
            Path f = VolumePlan.fileOf(file.path().getParent(), s);
            if (names.contains(s.name()) || files.contains(f)) {
                err.println("blockhaus: warning: volume " + s.name() + " (created over gRPC) is also given by --export;"
                        + " serving the --export one");
            } else if (s.path().isPresent() || Files.isSymbolicLink(f)) {
                // The server writes neither: someone changed the data directory to point a
                // client-created volume elsewhere; only the operator's --export may do that.
                err.println("blockhaus: warning: volume " + s.name() + " (created over gRPC) now has "
                        + (Files.isSymbolicLink(f) ? "a symbolic link " + f : "path=" + s.path().get())
                        + "; not serving it: only --export may name a file outside the data directory");
            } else if (!Files.isRegularFile(f)) {
                err.println("blockhaus: warning: volume " + s.name() + " (created over gRPC) has no file " + f
                        + " any more; not serving it");
            } else {
                kept.add(s);
            }
        }
        err.flush();
        return kept;
    }
}
