package io.blockhaus.metrics.http;

/** Whether the server is ready for clients, as {@code /readyz} reports it. Called on a scrape thread. */
@FunctionalInterface
public interface Readiness {
    /** Null when ready; otherwise one line saying what is not (e.g. "volume disk1 is closed"). */
    String notReadyReason();
}
