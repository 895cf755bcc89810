package io.blockhaus.nbd;

import io.blockhaus.nbd.codec.NbdCommand;
import io.blockhaus.nbd.codec.NbdRequest;

/**
 * One connection's bounds on what it has in flight: requests started whose reply is not yet
 * queued, and their READ and WRITE payload bytes. NBD lets a server stop reading a client's
 * requests at any time (the client's own queue then fills its TCP window), so past either bound
 * the connection simply reads no further request until a reply goes out. Event loop only.
 */
final class ConnectionWindow {
    private final int maxRequests;
    private final long maxBytes;
    private int requests;
    private long bytes;

    ConnectionWindow(int maxRequests, long maxBytes) {
        this.maxRequests = maxRequests;
        this.maxBytes = maxBytes;
    }

    /** Payload bytes a request moves: a READ's or a WRITE's length, nothing for the rest. */
    static long payloadBytes(NbdRequest r) {
        return r.command().equals(NbdCommand.READ) || r.command().equals(NbdCommand.WRITE) ? r.length() : 0;
    }

    boolean hasRoom() {
        return requests < maxRequests && bytes < maxBytes;
    }

    boolean idle() {
        return requests == 0;
    }

    /** Requests started and not yet answered. */
    int requests() {
        return requests;
    }

    void begin(NbdRequest r) {
        requests++;
        bytes += payloadBytes(r);
    }

    void end(NbdRequest r) {
        requests--;
        bytes -= payloadBytes(r);
    }
}
