package io.blockhaus.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Optional;

/**
 * One server at a time on a data directory: {@code serve} holds an exclusive lock on
 * {@code <data-dir>/.lock} from before it touches anything in the directory until after its
 * volumes are closed.
 *
 * <p>Why: two servers on one directory each keep their own page cache over the same volume files
 * and write their dirty pages back over each other's, so acknowledged writes are lost without a
 * word; they would also rewrite {@link ApiVolumeFile} each from its own list, and a starting one
 * could remove the other's warm-up scratch directory. A storage server takes its directory for
 * itself, as PostgreSQL ({@code postmaster.pid}) and etcd do.
 *
 * <p>How: an {@link OfdLock} (why not {@code FileChannel.tryLock}: there). The kernel releases it
 * when the process dies, so a crash, SIGKILL or power loss never leaves a stale lock for an
 * operator to delete by hand: no pid file whose liveness must be guessed. The file's content is
 * only for the refusal message, never for the decision: the holder writes its pid and start time
 * into it once locked, and a refused server reads them out (an empty file: the holder is between
 * locking and writing). The file stays when the server stops; the next one locks it again.
 *
 * <p>Invariants: the lock is taken before any volume is opened, any port bound or any other file of
 * the directory touched (only the directory itself may be created first, to hold the lock file),
 * and it is released after the volumes are closed ({@link Shutdown} closes newest first, and this
 * is registered first), so no two servers' writebacks ever overlap on one directory.
 */
final class DataDirectoryLock implements AutoCloseable {
    /** The lock file's name: starts with {@code .}, so no export name can be it. */
    static final String NAME = ".lock";

    private final OfdLock lock;

    private DataDirectoryLock(OfdLock lock) {
        this.lock = lock;
    }

    /**
     * Creates {@code dir} if missing and locks it.
     *
     * @throws StartupException another server (in another process or this one) holds the
     *         directory, naming the holder's pid; or the directory cannot be created or locked
     */
    static DataDirectoryLock acquire(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new StartupException("cannot create the data directory " + dir + ": " + StartupException.describe(e), e);
        }
        Path file = dir.resolve(NAME);
        Optional<OfdLock> lock;
        try {
            lock = OfdLock.tryLock(file, true, true);
        } catch (IOException e) {
            throw new StartupException("cannot lock the data directory " + dir + ": " + StartupException.describe(e), e);
        }
        if (lock.isEmpty()) {
            throw new StartupException("the data directory " + dir + " is in use by another Blockhaus server ("
                    + holder(file) + "); two servers on one directory would overwrite each other's writes:"
                    + " stop that one, or give this one another --data-dir");
        }
        try {
            Files.writeString(file, "pid " + ProcessHandle.current().pid() + " started " + startTime() + "\n",
                    StandardCharsets.UTF_8, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
        } catch (IOException e) {
            closeQuietly(lock.get());
            throw new StartupException("cannot write " + file + ": " + StartupException.describe(e), e);
        }
        return new DataDirectoryLock(lock.get());
    }

    /** Releases the directory for the next server. */
    @Override
    public void close() throws IOException {
        lock.close();
    }

    /** What the holder wrote ("pid 123 started ..."), said so if it is this very process. */
    private static String holder(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            return "holder unknown: cannot read " + file + ": " + StartupException.describe(e);
        }
        if (text.isEmpty()) {
            return "pid not yet written: it is starting";
        }
        text = text.lines().findFirst().orElse(text);
        long self = ProcessHandle.current().pid();
        return text.startsWith("pid " + self + " ") ? text + ", this very process" : text;
    }

    private static String startTime() {
        return ProcessHandle.current().info().startInstant().orElse(Instant.now()).truncatedTo(ChronoUnit.SECONDS).toString();
    }

    private static void closeQuietly(OfdLock lock) {
        try {
            lock.close();
        } catch (IOException e) {
            // the start-up failure being reported matters more; the process exits anyway
        }
    }
}
