package io.blockhaus.s3.stripes;

import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import io.blockhaus.s3.TestOwnership;
import io.blockhaus.s3.VolumeOwnership;
import io.blockhaus.s3.objects.MemoryObjectStore;
import io.blockhaus.s3.objects.ObjectStore;
import io.blockhaus.s3.objects.ObjectStoreException;
import io.blockhaus.s3.objects.ScriptedObjectStore;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A flush waits for the changes staged before it, not after, and ends with the right errno. The
 * test thread holds the staging lock ({@link LockedStagingTable}), as {@link ObjectStaging#flush}
 * does; uploads run one by one on a helper thread when the test hands them over, never on a timer.
 */
class FlushBarrierTest extends LockedStagingTable {
    private final ScriptedObjectStore store = new ScriptedObjectStore(new MemoryObjectStore());
    private final TestOwnership ownership = TestOwnership.owner();
    private final LinkedBlockingDeque<Runnable> uploads = new LinkedBlockingDeque<>();
    private final List<Runnable> retries = new ArrayList<>();
    private UploadQueue<StagedObject> queue;

    @Override
    ObjectStore store() {
        return store;
    }

    @Override
    VolumeOwnership ownership() {
        return ownership;
    }

    @BeforeEach
    void queue() {
        queue = new UploadQueue<>(lock, 2, uploads::add, (nanos, task) -> retries.add(task), table);
    }

    private StagedObject write(long index, int value) {
        return write(index, 0, new byte[] {(byte) value});
    }

    /** Runs {@code n} uploads on another thread as the threads hand them over; their completions wait for the flush to release the lock. */
    private CompletableFuture<Void> runUploads(int n) {
        return CompletableFuture.runAsync(() -> {
            try {
                for (int i = 0; i < n; i++) {
                    uploads.take().run();
                }
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private FlushBarrier barrier(Duration outageWait) {
        return new FlushBarrier(table, queue, VOLUME, outageWait);
    }

    @Test
    void nothingStagedReturnsAtOnce() {
        barrier(Duration.ZERO).await(() -> { });
        assertThat(uploads).isEmpty();
    }

    @Test
    void itWaitsForTheChangesBeforeItAndNotForOnesMadeWhileItWaits() throws Exception {
        StagedObject a = write(0, 1);
        write(1, 1);
        FlushBarrier flush = barrier(Duration.ofSeconds(30));
        assertThat(uploads).as("the flush offered both").hasSize(2);
        StagedObject again = write(0, 2); // after the flush began: a copy, not waited for
        assertThat(again).isSameAs(a);
        CompletableFuture<Void> done = runUploads(2);
        flush.await(() -> { });
        done.get(30, TimeUnit.SECONDS);
        assertThat(table.current(a)).as("its later change is still staged").isTrue();
        assertThat(a.stored).isEqualTo(1);
        assertThat(store.puts.get()).isEqualTo(2);
    }

    @Test
    void aFailureWaitingWillNotCureFailsAtOnceWithItsErrno() throws Exception {
        write(0, 1);
        ownership.fence();
        FlushBarrier flush = barrier(Duration.ofSeconds(30));
        CompletableFuture<Void> done = runUploads(1);
        assertThatThrownBy(() -> flush.await(() -> { })).isInstanceOfSatisfying(ErrnoException.class,
                e -> assertThat(e.errno()).isEqualTo(Errno.EROFS));
        done.get(30, TimeUnit.SECONDS);
        assertThat(retries).as("fenced: never retried").isEmpty();
        assertThat(table.entries()).as("the change stays staged").hasSize(1);
    }

    @Test
    void anOutageFailsEioAfterTheWaitAndKeepsTheChangesForTheRetries() throws Exception {
        write(0, 1);
        store.breakDown();
        FlushBarrier flush = barrier(Duration.ZERO);
        assertThatThrownBy(() -> flush.await(() -> { })).isInstanceOfSatisfying(ErrnoException.class,
                e -> assertThat(e.errno()).isEqualTo(Errno.EIO));
        lock.unlock(); // let the failed upload complete
        runUploads(1).get(30, TimeUnit.SECONDS);
        lock.lock();
        assertThat(queue.lastFailure()).isInstanceOf(ObjectStoreException.class);
        assertThat(table.entries()).as("the change stays staged").hasSize(1);
        assertThat(retries).hasSize(1);

        store.heal();
        retries.removeFirst().run(); // the retry offers it again (the lock is reentrant)
        CompletableFuture<Void> done = runUploads(1);
        barrier(Duration.ofSeconds(30)).await(() -> { });
        done.get(30, TimeUnit.SECONDS);
        assertThat(table.entries()).isEmpty();
    }

    @Test
    void aCloseWakesItAndItsCheckFails() throws Exception {
        write(0, 1);
        FlushBarrier flush = barrier(Duration.ofSeconds(30));
        boolean[] closed = {false};
        CompletableFuture<Void> closer = CompletableFuture.runAsync(() -> {
            lock.lock(); // granted once the flush waits
            try {
                closed[0] = true;
                table.clear();
                queue.close();
            } finally {
                lock.unlock();
            }
        });
        assertThatThrownBy(() -> flush.await(() -> {
            if (closed[0]) {
                throw new ErrnoException(Errno.ESHUTDOWN, "closed");
            }
        })).isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ESHUTDOWN));
        closer.get(30, TimeUnit.SECONDS);
    }
}
