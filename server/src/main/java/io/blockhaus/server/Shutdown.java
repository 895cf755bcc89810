package io.blockhaus.server;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import sun.misc.Signal;

/**
 * Start-up's counterpart: waits for a stop request (SIGTERM, SIGINT) and then closes what start-up
 * registered, newest first, exactly once.
 *
 * <p>Why signal handlers and not only a shutdown hook: on SIGTERM a JVM that relies on hooks exits
 * with status 143, which service managers report as a failure. Handling TERM and INT with
 * {@code sun.misc.Signal} (module jdk.unsupported) lets the main thread close the volumes (every dirty
 * page written back and forced) and exit 0. The shutdown hook stays as a safety net for any other way
 * the JVM ends (SIGHUP, {@code System.exit} elsewhere): it closes whatever is still open.
 */
public final class Shutdown {

    private record Entry(String what, AutoCloseable resource) {
    }

    private final PrintWriter out;
    private final PrintWriter err;
    private final CountDownLatch stop = new CountDownLatch(1);
    private final List<Entry> resources = new ArrayList<>();
    private volatile String reason;
    private boolean closed;
    private boolean closedCleanly = true;

    public Shutdown(PrintWriter out, PrintWriter err) {
        this.out = out;
        this.err = err;
    }

    /** Registers a resource to close on stop; resources close in the reverse order of registration. */
    public synchronized void register(String what, AutoCloseable resource) {
        if (closed) {
            throw new IllegalStateException("already shut down");
        }
        resources.add(new Entry(what, resource));
    }

    /** Asks the waiting thread to stop. The first reason wins; later requests only say so. */
    public void requestStop(String why) {
        synchronized (stop) {
            if (reason == null) {
                reason = why;
                stop.countDown();
                return;
            }
        }
        out.println("blockhaus: " + why + " received while stopping; still writing back, please wait");
        out.flush();
    }

    public boolean stopRequested() {
        return reason != null;
    }

    /** Blocks until {@link #requestStop} and returns its reason. An interrupt counts as a stop request. */
    public String awaitStop() {
        try {
            stop.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            requestStop("interrupt");
        }
        return reason;
    }

    /**
     * Closes every registered resource, newest first, once; a failing one is reported on stderr and
     * the rest are still closed. Later calls wait for the first to finish and return its result.
     *
     * @return whether everything closed without error
     */
    public synchronized boolean closeAll() {
        if (closed) {
            return closedCleanly;
        }
        closed = true;
        for (int i = resources.size() - 1; i >= 0; i--) {
            Entry e = resources.get(i);
            try {
                e.resource().close();
            } catch (Exception ex) {
                closedCleanly = false;
                err.println("blockhaus: error closing " + e.what() + ": " + StartupException.describe(ex));
                err.flush();
            }
        }
        resources.clear();
        return closedCleanly;
    }

    /** Routes SIGTERM and SIGINT to {@link #requestStop}. A signal the JVM cannot take is reported and skipped. */
    public void installSignalHandlers() {
        for (String name : List.of("TERM", "INT")) {
            try {
                Signal.handle(new Signal(name), s -> requestStop("SIG" + s.getName()));
            } catch (IllegalArgumentException e) {
                err.println("blockhaus: warning: cannot handle SIG" + name + " (" + e.getMessage()
                        + "); it will stop the server through the shutdown hook");
                err.flush();
            }
        }
    }

    /** Installs the safety-net hook: on any JVM exit, closes whatever is still open. */
    public void installShutdownHook() {
        Runtime.getRuntime().addShutdownHook(new Thread(this::closeAll, "blockhaus-shutdown-hook"));
    }
}
