package io.blockhaus.nbd;

/**
 * Ends one connection for a reason: the only way a part of the transmission phase closes it, so
 * every close is counted, and logged when it is a fault ({@link Disconnects}). The first reason
 * given wins; later calls do nothing. Event loop only.
 */
@FunctionalInterface
interface Disconnector {
    void disconnect(DisconnectReason reason, String detail);
}
