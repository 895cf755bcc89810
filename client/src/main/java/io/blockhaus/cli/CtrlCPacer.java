package io.blockhaus.cli;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The watch's pacer in a real terminal: waits the interval, and ends the watch cleanly on Ctrl-C
 * (SIGINT) or SIGTERM. The JVM runs shutdown hooks on those signals and halts when they return
 * (exit status 130 for SIGINT, 143 for SIGTERM), so the hook tells the watch to stop and then
 * waits, briefly, until the watch has left its loop: a refresh being printed is printed whole, and
 * the terminal is never left with half a table (or a stack trace from a channel torn down under a
 * call). Installed for the duration of one watch; {@link #close()} removes the hook.
 */
final class CtrlCPacer implements LockWatch.Pacer, AutoCloseable {
    /** How long the hook lets a refresh in progress finish (one GetLockStats per volume). */
    private static final Duration FINISH = Duration.ofSeconds(2);

    private final CountDownLatch stop = new CountDownLatch(1);
    private final CountDownLatch finished = new CountDownLatch(1);
    private final Thread hook = new Thread(this::onSignal, "bhctl-locks-watch-stop");

    CtrlCPacer() {
        Runtime.getRuntime().addShutdownHook(hook);
    }

    @Override
    public boolean awaitNext(Duration interval) throws InterruptedException {
        return !stop.await(interval.toNanos(), TimeUnit.NANOSECONDS);
    }

    private void onSignal() {
        stop.countDown();
        try {
            finished.await(FINISH.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        finished.countDown();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is already shutting down (this close ran because of the signal): the hook stays
        }
    }
}
