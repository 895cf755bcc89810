package io.blockhaus.engine.cache;

import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/** The errseq_t rules of {@link WritebackErrors}, one by one, and a cursor raced by many threads. */
class WritebackErrorsTest {
    private final WritebackErrors errors = new WritebackErrors("v");

    private static ErrnoException failure(Errno e) {
        return new ErrnoException(e, "injected");
    }

    @Test
    void nothingToReportBeforeAnyFailure() {
        assertThat(errors.open().checkAndAdvance()).isNull();
        assertThat(errors.count()).isZero();
    }

    @Test
    void eachCursorReportsAFailureOnceAndFailuresNobodySawCollapseIntoTheLatest() {
        WritebackErrors.Cursor a = errors.open();
        WritebackErrors.Cursor b = errors.open();
        errors.record(failure(Errno.EIO));
        errors.record(failure(Errno.ENOSPC)); // unseen: the same failure, latest errno
        assertThat(errors.count()).isEqualTo(1);
        assertThat(a.checkAndAdvance().errno()).isEqualTo(Errno.ENOSPC);
        assertThat(a.checkAndAdvance()).isNull();
        errors.record(failure(Errno.EIO)); // after one was seen: news
        assertThat(errors.count()).isEqualTo(2);
        assertThat(b.checkAndAdvance().errno()).as("b jumps to the latest").isEqualTo(Errno.EIO);
        assertThat(b.checkAndAdvance()).isNull();
        assertThat(a.checkAndAdvance().errno()).isEqualTo(Errno.EIO);
    }

    @Test
    void aNewCursorSeesAFailureOnlyIfNobodyHasReportedIt() {
        errors.record(failure(Errno.EIO));
        WritebackErrors.Cursor late = errors.open();
        WritebackErrors.Cursor alsoLate = errors.open();
        assertThat(late.checkAndAdvance().errno()).isEqualTo(Errno.EIO);
        assertThat(errors.open().checkAndAdvance()).as("opened after it was reported").isNull();
        assertThat(alsoLate.checkAndAdvance().errno()).as("opened before it was reported").isEqualTo(Errno.EIO);
    }

    @RepeatedTest(20)
    void ofManyThreadsCheckingOneCursorExactlyOneReportsTheFailure() throws Exception {
        WritebackErrors.Cursor c = errors.open();
        errors.record(failure(Errno.ENOSPC));
        int threads = 8;
        AtomicInteger reported = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        Thread[] ts = new Thread[threads];
        for (int i = 0; i < threads; i++) {
            ts[i] = Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                if (c.checkAndAdvance() != null) {
                    reported.incrementAndGet();
                }
            });
        }
        start.countDown();
        for (Thread t : ts) {
            t.join();
        }
        assertThat(reported.get()).isEqualTo(1);
    }

    @RepeatedTest(20)
    void aFailureRecordedWhileACursorReportsIsNeverLostToIt() throws Exception {
        WritebackErrors.Cursor c = errors.open();
        int failures = 2000;
        Thread recorder = Thread.ofPlatform().start(() -> {
            for (int i = 0; i < failures; i++) {
                errors.record(failure(Errno.EIO));
            }
        });
        int reports = 0;
        while (recorder.isAlive()) {
            if (c.checkAndAdvance() != null) {
                reports++;
            }
        }
        recorder.join();
        if (c.checkAndAdvance() != null) {
            reports++;
        }
        assertThat(c.checkAndAdvance()).as("the cursor is at the end").isNull();
        assertThat(reports).as("each report covers at least one failure, and every failure is covered")
                .isBetween(1, failures).isEqualTo((int) errors.count());
    }
}
