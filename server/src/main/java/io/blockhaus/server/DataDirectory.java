package io.blockhaus.server;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What {@code serve} does with its data directory before it opens a volume: creates the
 * directories that new volume files go into, and reconciles the volumes created over gRPC in
 * earlier runs (remembered in {@link ApiVolumeFile}) with this run's {@code --export}s. Kept out of
 * {@link ServeCommand}, whose job is the order of start-up and shutdown, because these are the
 * decisions an operator asks about ("why is my gRPC volume not served?"): each refusal is one
 * warning on stderr, and the command line always wins over what a client created.
 */
final class DataDirectory {
    private DataDirectory() {
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
