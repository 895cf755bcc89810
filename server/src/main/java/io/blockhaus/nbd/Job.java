package io.blockhaus.nbd;

import io.blockhaus.engine.PayloadPipe;
import io.blockhaus.nbd.codec.NbdRequest;
import io.netty.buffer.ByteBuf;

/**
 * A started request on its way to the engine: the request, the server-wide budget it holds (null
 * when it moves no payload), and for a WRITE its payload: {@code pipe}'s bytes (spliced out of the
 * socket, see {@link PayloadSplicing}) followed by {@code payload}'s, either of which may be null;
 * {@code started} is the {@link System#nanoTime} its header was taken up at (0 when not timed).
 */
record Job(NbdRequest request, PayloadBudget.Lease lease, ByteBuf payload, PayloadPipe pipe, long started) {
}
