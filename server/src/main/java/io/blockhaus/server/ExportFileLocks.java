package io.blockhaus.server;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A lock on the file of every file volume the command line exports, held while it is served: an
 * exclusive one for a read-write export, a shared one for a {@code readonly} export.
 *
 * <p>Why, beside {@link DataDirectoryLock}: an absolute {@code path=} puts a volume outside the
 * data directory, where another server with another data directory can export the same file; two
 * page caches over one file lose writes just as two servers on one directory do. Readers share:
 * two servers exporting one image {@code readonly} both start (a golden image behind several
 * servers is a fair use), and a writer is refused while a reader serves the file, and the
 * reverse. The lock is an {@link OfdLock} on the volume file itself, so it meets whatever else
 * locks images: qemu and qemu-img take OFD locks on theirs, and refuse to open a file Blockhaus
 * serves ("Failed to get ... lock. Is another process using the image?"); {@code qemu-img -U}
 * (force-share, read-only) still reads it. Tools that take no locks (nbdkit's file plugin,
 * nbd-server, dd) are not stopped: advisory locks only bind those who ask.
 *
 * <p>Volumes in the data directory are covered twice (the directory's lock and this), which costs
 * one descriptor each. Volumes created over gRPC are not locked here: they live in the data
 * directory, whose lock covers them against other servers on that directory.
 */
final class ExportFileLocks implements AutoCloseable {
    private final List<OfdLock> held = new ArrayList<>();

    /**
     * Locks the files of {@code plans} that exist ({@code created} false) or that this server has
     * just created ({@code created} true); s3 volumes have no file.
     *
     * @throws StartupException a file is in use by another process or server (naming the export
     *         and the file), or cannot be locked; the locks taken by this call are released first
     */
    void lock(List<VolumePlan> plans, boolean created) {
        int before = held.size();
        try {
            for (VolumePlan plan : plans) {
                if (plan.file() == null || plan.create() != created) {
                    continue;
                }
                boolean readOnly = plan.config().readOnly();
                Optional<OfdLock> lock = OfdLock.tryLock(plan.file(), !readOnly, false);
                if (lock.isEmpty()) {
                    throw new StartupException("export '" + plan.name() + "': " + plan.file() + " is in use by another"
                            + " process (another Blockhaus server, qemu or a tool that locks images); "
                            + (readOnly ? "it is being written, so it cannot be served read-only beside it"
                                    : "two writers on one file lose writes: stop the other, or export it readonly in both"));
                }
                held.add(lock.get());
            }
        } catch (IOException e) {
            releaseFrom(before);
            throw new StartupException("cannot lock a volume's file: " + StartupException.describe(e), e);
        } catch (RuntimeException e) {
            releaseFrom(before);
            throw e;
        }
    }

    @Override
    public void close() throws IOException {
        IOException failed = null;
        for (OfdLock l : held) {
            try {
                l.close();
            } catch (IOException e) {
                failed = failed == null ? e : failed;
            }
        }
        held.clear();
        if (failed != null) {
            throw failed;
        }
    }

    private void releaseFrom(int index) {
        while (held.size() > index) {
            try {
                held.removeLast().close();
            } catch (IOException e) {
                // reporting the refusal matters more; the process exits after it
            }
        }
    }
}
